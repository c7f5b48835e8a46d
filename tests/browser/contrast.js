// Contrast of what axe does not check (WCAG 1.4.11, 3:1): input borders and highlights, from computed styles.
// Returns [what, ratio] pairs; used by tests/browser/test_accessibility.py.
(() => {
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const parse = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
                       const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return p.length > 3 && p[3] === 0 ? null : p.slice(0, 3); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  const bg = e => { for (let n = e; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor); if (c) return c; } return [255, 255, 255]; };
  const out = [];
  for (const e of document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea')) {
    if (!e.offsetParent) continue;
    out.push(['border ' + (e.id || e.name), ratio(parse(getComputedStyle(e).borderTopColor), bg(e.parentElement))]);
  }
  for (const e of document.querySelectorAll('tr.low td:first-child')) {
    const edge = parse(getComputedStyle(e).boxShadow); out.push(['low row edge', ratio(edge, [255, 255, 255])]); break;
  }
  for (const e of document.querySelectorAll('.low-flag')) { out.push(['low flag', ratio(parse(getComputedStyle(e).color), bg(e))]); break; }
  for (const e of document.querySelectorAll('[aria-current=page]')) {
    out.push(['active nav', ratio(parse(getComputedStyle(e).boxShadow), bg(e.parentElement))]);
  }
  return out;
})

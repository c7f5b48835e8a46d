// CSV export with progress: stream the download, count rows as they arrive, then hand the file over.
// Without JavaScript the link still downloads the same file.
document.addEventListener("click", async function (event) {
  const link = event.target.closest("a[data-export]");
  if (!link || !window.ReadableStream) return;
  event.preventDefault();
  // The filter may have changed by typing since the page loaded: export what is on screen now.
  const form = document.getElementById("filters");
  const query = form ? new URLSearchParams(new FormData(form)).toString() : "";
  const box = link.parentElement;
  const bar = box.querySelector(".export-progress");
  const status = box.querySelector(".export-status");
  link.setAttribute("aria-disabled", "true");
  bar.hidden = false;
  bar.removeAttribute("value");
  status.textContent = "Building the export…";
  try {
    const response = await fetch(link.pathname + "?" + query, { credentials: "same-origin" });
    if (!response.ok) throw new Error((await response.text()) || "HTTP " + response.status);
    const total = parseInt(response.headers.get("X-Export-Rows") || "", 10);
    if (total > 0) bar.max = total;
    const reader = response.body.getReader();
    const chunks = [];
    let rows = -1; // the header line is not a member
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      for (const byte of value) if (byte === 10) rows += 1;
      if (total > 0) bar.value = Math.min(rows, total);
      status.textContent = rows + (total > 0 ? " of " + total : "") + " members…";
    }
    const url = URL.createObjectURL(new Blob(chunks, { type: "text/csv" }));
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const save = document.createElement("a");
    save.href = url;
    save.download = name ? name[1] : "members.csv";
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    status.textContent = "Exported " + rows + " members.";
  } catch (error) {
    status.textContent = "Export failed: " + error.message;
  } finally {
    bar.hidden = true;
    link.removeAttribute("aria-disabled");
  }
});

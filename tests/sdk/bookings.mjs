// The official Wix Bookings and Business Tools SDK modules, unchanged, against the sandbox.
// As in check.mjs, fetch is redirected from https://www.wixapis.com to SANDBOX_URL.
const base = process.env.SANDBOX_URL;
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = (typeof input === "string" ? input : input.url).replace(/^https:\/\/(www|edge)\.wixapis\.com/, base);
  return realFetch(typeof input === "string" ? url : new Request(url, input), init);
};

const { createClient, ApiKeyStrategy } = await import("@wix/sdk");
const { extendedBookings, attendance, services, eventTimeSlots } = await import("@wix/bookings");
const { siteProperties } = await import("@wix/business-tools");

const client = createClient({
  modules: { extendedBookings, attendance, services, eventTimeSlots, siteProperties },
  auth: ApiKeyStrategy({ apiKey: process.env.API_KEY, siteId: process.env.SITE_ID }),
});
const day = process.env.DAY; // YYYY-MM-DD in the site's zone
const out = {};

const props = await client.siteProperties.getSiteProperties({ fields: ["timeZone"] });
out.timeZone = props.properties.timeZone;

const slots = await client.eventTimeSlots.listEventTimeSlots({
  fromLocalDate: `${day}T00:00:00`,
  toLocalDate: `${day}T23:59:59`,
  timeZone: out.timeZone,
  includeNonBookable: true,
  cursorPaging: { limit: 1000 },
});
out.slots = slots.timeSlots.map((s) => ({
  eventId: s.eventInfo.eventId,
  start: s.localStartDate,
  total: s.totalCapacity,
  remaining: s.remainingCapacity,
  cancelled: s.nonBookableReasons.eventCancelled,
}));
out.slotsTimeZone = slots.timeZone;

// a small first page, then the cursor: the SDK's own paging
const eventIds = out.slots.map((s) => s.eventId);
const opts = { withBookingAttendanceInfo: true };
let page = await client.extendedBookings.queryExtendedBookings(
  {
    filter: { "bookedEntity.item.slot.eventId": { $in: eventIds } },
    sort: [{ fieldName: "startDate", order: "ASC" }],
    cursorPaging: { limit: 40 },
  },
  opts,
);
const bookings = [...page.extendedBookings];
let pages = 1;
while (page.pagingMetadata?.cursors?.next) {
  page = await client.extendedBookings.queryExtendedBookings({ cursorPaging: { cursor: page.pagingMetadata.cursors.next, limit: 40 } }, opts);
  bookings.push(...page.extendedBookings);
  pages += 1;
}
out.bookingPages = pages;
out.bookings = bookings.map((e) => ({
  id: e.booking._id,
  eventId: e.booking.bookedEntity.slot.eventId,
  status: e.booking.status,
  payment: e.booking.selectedPaymentOption,
  attendance: e.attendance?.status,
  startDate: e.booking.startDate instanceof Date ? e.booking.startDate.toISOString() : String(e.booking.startDate),
}));

const att = await client.attendance.queryAttendance().eq("eventId", eventIds[0]).limit(100).find();
out.attendanceForFirst = att.items.map((a) => ({ bookingId: a.bookingId, status: a.status })).sort((a, b) =>
  a.bookingId.localeCompare(b.bookingId),
);

const target = bookings.find((e) => e.booking.status === "CONFIRMED" && e.booking.bookedEntity.slot.eventId === process.env.OPEN_EVENT);
const set = await client.attendance.setAttendance(
  { bookingId: target.booking._id, eventId: process.env.OPEN_EVENT, status: "ATTENDED", numberOfAttendees: 1 },
  { participantNotification: { notifyParticipants: false } },
);
out.set = { bookingId: set.attendance.bookingId, status: set.attendance.status, id: set.attendance._id };

const svc = await client.services.queryServices().limit(100).find();
out.services = svc.items.map((s) => ({ id: s._id, name: s.name, type: s.type }));
out.servicesTotal = svc.totalCount;

console.log(JSON.stringify(out));

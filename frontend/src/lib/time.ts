/**
 * Times from the platform, shown in the admin's own time zone. The platform stores UTC, but on SQLite and
 * MariaDB system databases some times come back without an offset (`2026-12-01T14:09:15`): JavaScript
 * would read those as local time, so one column would be off by the admin's offset from UTC.
 */

const HAS_OFFSET = /(Z|[+-]\d\d:?\d\d)$/i

/** The moment an ISO 8601 time from the platform names; a time without an offset is UTC. */
export function parseTime(iso: string): Date {
  return new Date(HAS_OFFSET.test(iso) || !iso.includes('T') ? iso : `${iso}Z`)
}

/** A platform time as the admin's locale writes a date and time. */
export function showTime(iso: string): string {
  return parseTime(iso).toLocaleString()
}

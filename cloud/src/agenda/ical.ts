// iCalendar feed of the agenda (RFC 5545 through ical-generator): one VEVENT per public event,
// cancelled ones with STATUS:CANCELLED so subscribed calendars update.
import ical, { ICalEventStatus } from 'ical-generator';
import type { EventView } from '../ticketing/events.js';

export function agendaCalendar(events: EventView[], opts: { baseUrl: string; name: string }): string {
  const cal = ical({
    name: opts.name,
    prodId: { company: 'TiBillet', product: 'agenda', language: 'FR' },
    ttl: 3600,
  });
  for (const e of events) {
    cal.createEvent({
      id: `${e.id}@tibillet`,
      start: new Date(e.startsAt),
      end: new Date(e.endsAt),
      summary: e.title,
      description: e.description,
      location: [e.venueName, e.location].filter(Boolean).join(', '),
      url: `${opts.baseUrl}/agenda/events/${e.id}`,
      categories: e.tags.map((name) => ({ name })),
      status: e.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return cal.toString();
}

/** block: declines a room booking, telling the organiser why (or warns them and asks the Clerk). */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'block',
  addresses: 'room',
  waitsForWorkingHours: false,
  cap: 'none',
  remedies: true,
  mailed: false,
  noun: ['room booking', 'room bookings'],
  namesItsRecipient: false,
  verb: 'declined',
  template: () => 'booking-declined',
  describe: (a) => `decline the booking on ${a.calendarId ?? 'the room calendar'}`,
  execute: (effect, carrier) => carrier.declineBooking(effect),
});

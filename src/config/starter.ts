/**
 * The commented starter configuration `wardwatch init` writes. It is a complete, valid
 * configuration for a small fictional council, with every section explained for a town clerk.
 */

export const STARTER_CONFIG = `# Wardwatch configuration
# =======================
# This file tells Wardwatch about your council: who is who, your wards, your elections, which
# mailboxes and calendars to watch, and how to keep your Member/Officer Protocol.
#
# Replace the example council below with your own details, then check the file with:
#     wardwatch validate --config council.yaml
# Lines starting with # are comments: Wardwatch ignores them. Indentation matters: use spaces,
# never tabs, and keep items of a list lined up under each other.

# --- Your council -------------------------------------------------------------------------
council:
  name: Example Town Council
  timezone: Europe/London            # the time zone your council's days and meetings are in
  domains: [example-tc.gov.uk]       # mail addresses on these domains count as "inside the council"
  serviceAddress: protocol@example-tc.gov.uk   # Wardwatch's own mailbox: nudges and digests come from here

# --- Your protocol ------------------------------------------------------------------------
# If your council has adopted one of the protocols Wardwatch knows, name it here: Wardwatch then
# keeps only that protocol's rules and quotes its paragraph numbers. The ones it knows are:
#   alton       Alton Town Council — Member/Officer Protocol
#   halstead    Halstead Town Council — Protocol on Member/Officer Relations (2021)
#   havant      Havant Borough Council — Councillor/Officer Relations Protocol (2013)
#   knutsford   Knutsford Town Council — Member/Officer Protocol
#   model-2016  a town council's Protocol on Officer and Member Relationships (February 2016)
# Leave it out to keep every rule Wardwatch has, quoting the paragraphs of the protocols above.
# protocol: knutsford

# --- People -------------------------------------------------------------------------------
# Everyone Wardwatch should recognise. For each person:
#   name    as it should appear in messages
#   emails  every address they use for council business, council address first
#           (add a councillor's personal address too if they use it for council business)
#   role    clerk (the Town Clerk, or the officer doing that job), officer or member (a councillor)
#   wards   for a member: the ids of the wards they represent (see "Wards" below)
#   titles  optional: mayor, deputy-mayor, chairman, vice-chairman, leader
#   party   optional: the member's party or group
#   manager optional, for an officer: their manager's address (nudges point them there)
#   salutation optional: how messages greet them after "Dear" (default: "Councillor Surname" for a member, the first name otherwise)
# At least one person must have role: clerk.
people:
  - name: Jane Clerk
    emails: [clerk@example-tc.gov.uk]
    role: clerk
  - name: Sam Lee
    emails: [sam.lee@example-tc.gov.uk]
    role: officer
    manager: clerk@example-tc.gov.uk
  - name: Cllr Tom Brown
    emails: [tom.brown@example-tc.gov.uk]
    role: member
    wards: [north]
    titles: [mayor]
    party: Independent
  - name: Cllr Amy Wood
    emails: [amy.wood@example-tc.gov.uk]
    role: member
    wards: [south]

# --- Wards --------------------------------------------------------------------------------
# Each ward has a short id (lower case letters, digits and hyphens), its name, and the places and
# postcodes that tell Wardwatch a meeting or message concerns it. Postcodes may be whole
# postcodes or sectors such as "EX1 2". When Wardwatch cannot tell which ward something
# concerns, it does not guess: the digest lists it for you to look at.
wards:
  - id: north
    name: North Ward
    places: [High Street, Market Square, Town Library]
    postcodes: [EX1 2]
  - id: south
    name: South Ward
    places: [Station Road, Riverside Park]
    postcodes: [EX1 5]

# --- Elections ----------------------------------------------------------------------------
# Polling days, so that Wardwatch knows the pre-election period. By default the period starts
# on the last day for publishing the notice of election (the 25th working day before polling
# day); give preElectionStart: YYYY-MM-DD to use another date. wards: all, or a list of ward
# ids for a by-election.
elections:
  - poll: 2027-05-06
    wards: all
    name: Town council elections

# --- The press ----------------------------------------------------------------------------
# Domains of newspapers, radio and television: mail to them counts as contact with the media.
mediaDomains: [example-gazette.co.uk, bbc.co.uk]

# --- Calendars ----------------------------------------------------------------------------
# The calendars Wardwatch reads. role: council (events the council organises), room (a bookable
# room whose bookings Wardwatch may decline), member or officer (a person's own calendar).
# For a room, address is the room's own address as it appears in invitations.
calendars:
  - id: council-events
    role: council
  - id: council-chamber
    role: room
    address: chamber@example-tc.gov.uk

# --- Mailboxes ----------------------------------------------------------------------------
# Which mailboxes a live connection (IMAP, Microsoft 365, Google) watches, and which folders.
# Not needed when Wardwatch reads saved messages from a folder.
mailboxes: []
#  - address: clerk@example-tc.gov.uk
#    folders: [inbox, sent]

# --- Connections --------------------------------------------------------------------------
# Where Wardwatch reads mail and calendars from. "folder" reads saved .eml and .ics files:
#   <dir>/mail/<mailbox address>/<folder>/*.eml  and  <dir>/calendars/<calendar id>/*.ics
# Passwords and other secrets never go in this file: write \${NAME} and set the environment
# variable NAME where Wardwatch runs.
connectors:
  folder:
    dir: ./source

# --- Sending mail -------------------------------------------------------------------------
# How Wardwatch's messages leave. kind: file writes each message to a folder as an .eml file
# (nothing is sent: useful while you try Wardwatch out). For a mail server use:
#   kind: smtp
#   host: smtp.example.net
#   port: 587
#   user: protocol@example-tc.gov.uk
#   password: \${WARDWATCH_SMTP_PASSWORD}
# The password is sent only over TLS: STARTTLS on port 587, or secure: true on port 465.
sender:
  kind: file
  dir: ./outbox

# --- Who wrote it -------------------------------------------------------------------------
# Mail that claims to be from one of your people is acted on in their name only when it is in
# their own Sent folder, or when your receiving mail server vouches for it. Name that server as
# it signs its Authentication-Results: mx.google.com (Google), exchange-online (Microsoft 365)
# or your own server's name. See docs/mail-authentication.md.
authentication:
  trustedServers: []

# --- Rules --------------------------------------------------------------------------------
# Every rule is on unless you say otherwise (or your protocol above does not contain it).
# For each rule you may write off, on, or settings such as:
#   requests-via-clerk: { actions: [nudge, route-to-clerk, digest] }   # what Wardwatch does
#   no-blind-copies: { clauses: ["12.1"] }     # your protocol's own paragraph numbers
#   state-capacity: { severity: info }         # info, warning or error
# "wardwatch schema" lists every rule and setting.
rules:
  state-capacity: { severity: info }

# --- Daily digest -------------------------------------------------------------------------
# A summary of everything Wardwatch saw and did. Leave "to" empty to send it to the Clerk.
# cron is when it is sent: minute hour day month weekday ("30 7 * * 1-5" = 7:30 on weekdays).
digest:
  to: []
  cron: "30 7 * * 1-5"

# --- Trying it out ------------------------------------------------------------------------
# While dryRun is true Wardwatch only reports what it would do; it sends and changes nothing.
# Set it to false when you are happy with what the digest shows.
dryRun: true

# --- Review before sending ----------------------------------------------------------------
# While review is true (recommended when you start), nothing Wardwatch writes to a councillor or
# an officer goes out until you approve it, in the console or with:
#     wardwatch outbox list --config council.yaml --state awaiting-review
#     wardwatch outbox approve KEY --config council.yaml
# You may add your own paragraph to a message before approving it, or withdraw it. What comes to
# you (copies, notices, the digest) is never held. Make yourself a console account first with:
#     wardwatch users add jane --config council.yaml --role clerk --name "Jane Clerk"
# Once you trust a rule, let it send without waiting, one rule at a time:
#   rules: { state-capacity: { review: false } }
# or set review: false here for every rule.
review: true

# --- Where Wardwatch keeps its records ----------------------------------------------------
# One file, relative to this configuration file.
store:
  path: ./wardwatch.sqlite
`;

/** The commented line `init` leaves when no protocol is chosen. */
export const PROTOCOL_PLACEHOLDER = '# protocol: knutsford';

/**
 * The starter configuration, with \`protocol: NAME\` set when a profile is chosen; without one,
 * the choice is left as a comment for the Clerk (and validate, check and run warn until it is made).
 */
export function starterConfig(protocol?: string): string {
  if (protocol === undefined) return STARTER_CONFIG;
  return STARTER_CONFIG.replace(`\n${PROTOCOL_PLACEHOLDER}\n`, `\nprotocol: ${protocol}\n`);
}

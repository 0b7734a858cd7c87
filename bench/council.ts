/** The council the benchmarks run against (the same shape as the demo council). */
export const benchCouncil = {
  council: { name: 'Millbrook Town Council', timezone: 'Europe/London', domains: ['millbrook-tc.gov.uk'], serviceAddress: 'protocol@millbrook-tc.gov.uk' },
  people: [
    { name: 'Helen Ashworth', emails: ['clerk@millbrook-tc.gov.uk'], role: 'clerk' },
    { name: 'Sam Patel', emails: ['sam.patel@millbrook-tc.gov.uk'], role: 'officer' },
    { name: 'Priya Shah', emails: ['priya.shah@millbrook-tc.gov.uk'], role: 'officer' },
    { name: 'Dan Okafor', emails: ['dan.okafor@millbrook-tc.gov.uk'], role: 'officer' },
    { name: 'Cllr Tom Brown', emails: ['tom.brown@millbrook-tc.gov.uk'], role: 'member', wards: ['castle'], titles: ['mayor'] },
    { name: 'Cllr Alice Green', emails: ['alice.green@millbrook-tc.gov.uk'], role: 'member', wards: ['castle'], party: 'Green' },
    { name: 'Cllr Raj Mehta', emails: ['raj.mehta@millbrook-tc.gov.uk'], role: 'member', wards: ['riverside'], party: 'Labour' },
    { name: 'Cllr Sue Taylor', emails: ['sue.taylor@millbrook-tc.gov.uk'], role: 'member', wards: ['riverside'], party: 'Conservative' },
    { name: 'Cllr Ben Hughes', emails: ['ben.hughes@millbrook-tc.gov.uk'], role: 'member', wards: ['northfield'] },
  ],
  wards: [
    { id: 'castle', name: 'Castle', places: ['Castle Street', 'Market Square'], postcodes: ['MB1 2'] },
    { id: 'riverside', name: 'Riverside', places: ['Mill Lane', 'Riverside Park', 'Weir Road'], postcodes: ['MB2 4'] },
    { id: 'northfield', name: 'Northfield', places: ['Hazel Avenue'], postcodes: ['MB3 7'] },
  ],
  elections: [{ poll: '2027-05-06', wards: 'all' }],
  mediaDomains: ['millbrookgazette.co.uk'],
  calendars: [
    { id: 'council-events', role: 'council' },
    { id: 'community-room', role: 'room', address: 'community.room@millbrook-tc.gov.uk' },
  ],
};

// Short Lease timings for tests that kill or stop a leader: a 4 s Lease renewed within 3 s,
// retried every second, so a hand-over takes seconds while the logic is the same as with the
// defaults (15 s, 10 s, 2 s).

export const leaseSeconds = 4;

/** The flags that set them, for any program on the runtime. */
export const shortLease: string[] = [
  `--leader-elect-lease-duration=${leaseSeconds}`,
  "--leader-elect-renew-deadline=3",
  "--leader-elect-retry-period=1",
];

/** The longest a standby can wait before it may lead: the Lease plus one retry period. */
export const leaseBoundMs = (leaseSeconds + 1) * 1000;

# KDC Sync — English. The same ids as vi.ftl, which is the language of record.

## Shared by every surface

households-count = { $count ->
        [one] 1 household
       *[other] { $count } households
    }
role-head = Area head
role-member = Member
role-ward = Ward office

## kdc (the command line)

cli-error-prefix = kdc:{" "}
cli-xlsx-needs-output = the xlsx format needs an output file: add -o FILE.xlsx
cli-daemon-sent-bad-snapshot = the daemon returned an invalid snapshot of area { $area }: { $reason }; nothing written
cli-area-created = Created area { $id } ({ $name }, { $ward })
cli-household-added = Added household { $hh } to area { $area }
cli-household-updated = Updated household { $hh } of area { $area }
cli-household-archived = Archived household { $hh } of area { $area }: it no longer counts in any figure
cli-invite-header = Invitation to area { $area } (one use, expires { $expires_at }):
cli-invite-hint = On the new device (on the same network), scan the QR code or run: kdc join TOKEN
cli-joined = Joined area { $area }; its records are on this device now
cli-peer-dialling = Dialling { $addr }; it will be redialled whenever the connection drops
cli-no-peers = No peers yet. Devices on the same network appear by themselves; or: kdc peer add MULTIADDR
cli-col-connected = Connected
cli-col-last-seen = Last seen
cli-col-in-sync = Areas in sync
cli-col-version = Release
cli-col-addresses = Addresses
cli-met = met
cli-not-met = not met
cli-not-applicable = n/a
cli-yes = yes
cli-no = no
cli-unknown-answer = unknown
cli-not-recorded = not recorded
cli-encouraged = encouraged
cli-col-area = Area
cli-col-name = Name
cli-col-ward = Ward
cli-col-households = Households
cli-col-criterion = Criterion
cli-col-result = Count
cli-col-percent = Percent
cli-col-threshold = Threshold
cli-col-met = Result
cli-col-unknown = Unknown
cli-col-group = Group
cli-col-house = House
cli-col-address = Address
cli-col-missing = Missing
cli-col-field = Field
cli-col-value = Value
cli-col-winner = Winner
cli-col-values = Values (device)
cli-col-peer-id = Peer ID
cli-col-role = Role
cli-col-added = Added at
cli-col-state = State
cli-active = active
cli-removed = removed
cli-archived-mark = archived
cli-listen-header = Listening on:
cli-none-yet = (none yet)
cli-no-areas = No area on this device yet. Create one: kdc area create AREA --name NAME --ward WARD
cli-no-data = no data yet
cli-households-line = Active households: { $households }
cli-required-met-line = { $met } of { $total } required criteria met
cli-groups-header = By residential group:
cli-no-group = (no group)
cli-col-required-met = Required met
cli-col-incomplete = Lacking members_14plus
cli-household-header = Household { $hh } — area { $area }
cli-archived-line = State: archived (counts in no figure)
cli-updated-line = Last updated: { $at } by { $by }
cli-no-households = No households.
cli-via-relay = through a relay
cli-no-relays = The area has no relay: devices sync only on a shared network or at addresses typed in.
cli-col-relay = Relay
cli-no-members = No members.
cli-no-conflicts = No conflicts.
cli-conflicts-hint = Record the right value with `kdc household set AREA HH FIELD=VALUE` to resolve a conflict.
cli-checksum-line = SHA-256 checksum: ok ({ $checksum })
cli-col-archived = Archived
cli-col-members = Members
cli-col-last-change = Last change
cli-col-profile = Profile
cli-col-member = Member
cli-col-last-sync = Last synced with this device
cli-never-synced = not yet
cli-status-at-line = Status at the end of { $day }
cli-area-not-yet = area { $area } did not exist yet at the end of { $day }
cli-history-header = Progress by day — { $name } ({ $id })
cli-household-history-header = Changes of household { $hh } — area { $area }
cli-no-history = No changes in these days.
cli-since-after-until = --since: must be on or before --until
cli-col-date = Date
cli-col-changes = Changes
cli-col-certified = Certified
cli-col-not-met = Required criteria not met
cli-col-time = When
cli-col-device = Device (member)
cli-col-change = Old → new
cli-daemon-not-running = the daemon is not running for data directory { $dir }; start it with: kdcd --data-dir { $dir }
cli-storage-failed = { $reason ->
        [disk_full] the disk that holds the data directory is full; nothing was saved
        [read_only] the data directory is read-only; nothing was saved
       *[other] cannot write to the data directory; nothing was saved
    } ({ $message })
cli-no-data-dir = cannot determine the data directory; use --data-dir DIR
cli-cannot-read = cannot read { $path }
cli-cannot-write = cannot write { $path }
cli-invalid-snapshot = { $path } is not a valid snapshot: { $reason }
cli-different-areas-same-id = area "{ $id }" in { $first } and in { $second } are two different areas (created separately) that share an id; cannot merge them
cli-snapshot-merged = Merged { $inputs ->
        [one] one file
       *[other] { $inputs } files
    } into { $path }: { $areas ->
        [one] one area
       *[other] { $areas } areas
    }
cli-report-written = Wrote report { $path }: { $areas ->
        [one] one area
       *[other] { $areas } areas
    }, { $certified } certified
cli-consent-recorded = { $state ->
        [given] Recorded the consent of household { $hh } of area { $area }
        [refused] Recorded that household { $hh } of area { $area } declined: only its house code is kept
       *[other] Recorded that household { $hh } of area { $area } withdrew consent: its answers are deleted
    }
cli-consent-line = Consent: { $state ->
        [given] given
        [refused] refused
        [withdrawn] withdrawn
       *[other] not recorded
    }{ $method ->
        [written] {" "}(written)
        [verbal] {" "}(verbal)
       *[other] {""}
    }{ $at }
cli-snapshot-encryption = { $keys ->
        [0] Not encrypted: the area has no ward key yet (kdc member add … --role ward --recipient)
        [one] Encrypted: only the ward's key and this device can open the file
       *[other] Encrypted: only the ward's { $keys } keys and this device can open the file
    }
cli-ward-key-made = Made the ward's key: { $path } (keep it secret, and a copy somewhere safe)
    Public recipient (give it to the areas): { $recipient }
cli-seal-no-identity = the file is encrypted for the ward office; none of the keys given opens it (give the ward's key with --identity FILE)
cli-seal-damaged = the encrypted file is damaged ({ $detail })
cli-snapshot-exported = Exported area { $area } to { $path } ({ $bytes } bytes)
cli-snapshot-imported-new = Created area { $id } from the snapshot ({ $count ->
        [one] one household
       *[other] { $count } households
    })
cli-snapshot-imported-merged = Merged the snapshot into area { $id } ({ $count ->
        [one] one household
       *[other] { $count } households
    })
cli-member-added = { $name } ({ $peer }) is on the roster of area { $area } as { $role }
cli-member-removed = Removed { $name } ({ $peer }) from area { $area }: it no longer syncs with anyone; what it recorded before stays
cli-peer-id-line = Peer ID: { $peer }
cli-device-name-line = Device name: { $name }
cli-ward-line = Ward: { $ward }
cli-profile-line = Criteria profile: { $profile }
cli-no-data-line = { $count ->
        [one] 1 criterion has no data yet
       *[other] { $count } criteria have no data yet
    }
cli-certified-line = Certified as a digital residential area: { $certified ->
        [yes] yes
       *[no] no
    }
cli-incomplete-line = { $count ->
        [one] 1 household still lacks
       *[other] { $count } households still lack
    } members_14plus
cli-group-line = Group: { $group }
cli-address-line = Address: { $address }
cli-worklist-header = { $count ->
        [one] 1 household does
       *[other] { $count } households do
    } not meet { $criterion } yet
cli-relay-changed = { $verb ->
        [added] Added relay { $addr } to area { $area }; members learn it by sync
       *[other] Removed relay { $addr } from area { $area }
    }
cli-relay-reserved = ✓ reachable, reservation held
cli-relay-reachable = ✓ reachable
cli-relay-unreachable = ✗ not reachable
cli-relay-untried = … not tried yet
cli-verify-ok = { $path }: valid snapshot
cli-format-version-line = Format version: { $version }
# A calendar day for chrono, as ISO 8601 (the CLI's English output is read by scripts too).
cli-date-format = %Y-%m-%d
cli-area-not-in-file = area { $area } is not in { $path }; the file holds: { $present }
cli-superseded-copy = note: { $file } holds area { $area } at epoch { $epoch }, superseded by epoch { $by } (households were erased on request): left out

# KDC Sync — English. The same ids as vi.ftl, which is the language of record.

## Shared by every surface

households-count = { $count ->
        [one] 1 household
       *[other] { $count } households
    }
role-head = Area head
role-member = Member
role-ward = Ward office

answer-yes = Yes
answer-no = No
answer-unknown = Unknown

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

## The web app

web-address = Address
web-area = Area
web-board-a-newer-criteria-profile-version = A newer criteria profile (version{" "}
web-board-active-households = active households
web-board-asks-for-and-records-each = ) asks for and records each household's consent before anything is recorded (Law 91/2025/QH15). Answers recorded so far are kept.
web-board-by-residential-group = By residential group
web-board-chart-of-required-criteria-met = Chart of required criteria met and households recorded, day by day
web-board-criteria = Criteria
web-board-criteria-met = Criteria met:{" "}
web-board-encouraged = Encouraged
web-board-group-name = group name
web-board-households = Households
web-board-households-2 = Households:{" "}
web-board-households-lack-the-count-of = households lack the count of residents aged 14+ — needed before certification.
web-board-lack-the-14-count = lack the 14+ count
web-board-meets-every-criterion-for-certification = Meets every criterion for certification
web-board-merge-as = Merge as “
web-board-most-still-needed = most still needed
web-board-move-to-the-new-profile = Move to the new profile
web-board-needs = needs
web-board-no-household-declined-the-survey = No household declined the survey
web-board-no-household-in-scope = No household in scope
web-board-nothing-recorded-in-scope-yet = Nothing recorded in scope yet
web-board-one-group-is-written-several = One group is written several ways:{" "}
web-board-one-house-is-recorded-under = One house is recorded under several codes (differing in case):{" "}
web-board-open-each-record-every-answer = Open each, record every answer in one, then archive the other (at the end of its page): an archived household counts nowhere.
web-board-order = Order:{" "}
web-board-progress-over-time = Progress over time
web-board-solid-required-criteria-met-dashed = Solid: required criteria met; dashed: households recorded.
web-board-the-area-s-head-can = The area's head can make the move.
web-board-the-figures-already-count-them = {"."} The figures already count them as one.
web-board-unknown = unknown
web-conflicts = Conflicts
web-conflicts-no-conflicts-every-device-agrees = No conflicts: every device agrees.
web-conflicts-two-devices-recorded-different-values = Two devices recorded different values for one question while apart. Choose the right one.
web-declined = declined
web-direct = direct
web-doctor-advanced-this-device-s-addresses = Advanced: this device's addresses
web-doctor-advice = Advice
web-doctor-answers = answers
web-doctor-beyond-the-wi-fi = Beyond the Wi-Fi
web-doctor-check-again = Check again
web-doctor-connection-check = Connection check
web-doctor-devices-seen = devices seen:{" "}
web-doctor-does-not-answer = does not answer
web-doctor-listening-on = Listening on:{" "}
web-doctor-members-elsewhere-cannot-reach-this = Members elsewhere cannot reach this device yet.
web-doctor-members-elsewhere-reach-this-device = Members elsewhere reach this device through the relay.
web-doctor-no-address-known = no address known
web-doctor-not-tried-yet = Not tried yet
web-doctor-off = off
web-doctor-on = on
web-doctor-reservation-held = Reservation held
web-doctor-this-area-has-no-other = This area has no other member yet.
web-doctor-this-device = This device
web-doctor-this-device-has-a-public = This device has a public address: members elsewhere reach it directly.
web-doctor-this-device-only = (this device only)
web-find-add-a-new-household = Add a new household
web-find-find-a-house = Find a house
web-find-first-type-more-to-narrow = {" "}first; type more to narrow
web-find-house-codes-match = house codes match “
web-find-no-house-code-matches = No house code matches “
web-find-showing = showing{" "}
web-group = Group
web-group-2 = Group
web-home-area-id-lower-case-letters = Area id (lower-case letters, digits, hyphens)
web-home-areas = Areas
web-home-continue-joining-with-the-invite = Continue joining with the invite you opened
web-home-create = Create
web-home-create-an-area = Create an area
web-home-hac-thanh-ward = Hac Thanh ward
web-home-invite-token-starts-with-kdc1 = Invite token (starts with kdc1-)
web-home-join-with-an-invite = Join with an invite
web-home-log-this-browser-out = Log this browser out
web-home-meets-certification = Meets certification
web-home-members-connected = members connected
web-home-name = Name
web-home-no-area-yet-create-one = No area yet. Create one, or join with an invite from your area head.
web-home-tam-giac-3 = Tam Giac 3
web-home-the-ward-s-report-from = The ward's report from the areas' snapshot files →
web-home-this-device-s-areas = This device's areas
web-home-ward-office = Ward office
web-household = Household{" "}
web-household-address-no-names = Address (no names)
web-household-an-archived-household-leaves-every = An archived household leaves every figure; its answers are kept.
web-household-archive = Archive
web-household-archive-this-household-moved-away = Archive this household (moved away, demolished)…
web-household-archived = Archived
web-household-archived-moved-away-counts-nowhere = Archived (moved away): counts nowhere
web-household-by = by{" "}
web-household-consent = Consent
web-household-consent-form-number-if-any = Consent form number (if any)
web-household-consent-given = Consent given
web-household-delete-the-answers = Delete the answers
web-household-different-values-from-two-devices = Different values from two devices
web-household-erase = Erase
web-household-every-answer-and-the-address = Every answer and the address are deleted; only the house code and group are kept, so nobody asks again.
web-household-group-and-address = Group and address
web-household-history = History
web-household-household = Household
web-household-household-added-record-the-answers = Household added. Record the answers below.
web-household-i-confirm-archiving = I confirm archiving{" "}
web-household-i-confirm-erasing-household = I confirm erasing household{" "}
web-household-i-confirm-that-this-household = I confirm that this household withdraws:{" "}
web-household-keep = Keep{" "}
web-household-last-changed = Last changed:{" "}
web-household-no-consent-recorded = No consent recorded
web-household-not-a-valid-value-it = Not a valid value; it counts as unknown:{" "}
web-household-not-saved-fix-the-marked = Not saved: fix the marked question and press Save.
web-household-read-this-to-the-resident = Read this to the resident before the first question:
web-household-record-the-right-value = Record the right value
web-household-residential-group = Residential group
web-household-saved-at = Saved at{" "}
web-household-show-the-history = Show the history
web-household-shown-now = shown now:{" "}
web-household-signed-form = {" "}(signed form)
web-household-the-household-declined-do-not = The household declined: do not ask again
web-household-the-household-leaves-the-area = The household leaves the area's data and history on every device; only its house code is kept, as erased. The figures of past days stay (they hold no household data). This cannot be undone.
web-household-the-household-withdraws-consent = The household withdraws consent…
web-household-the-household-withdrew-consent-its = The household withdrew consent: its answers were deleted
web-household-the-resident-asks-for-deletion = The resident asks for deletion…
web-household-verbally = {" "}(verbally)
web-households = households
web-join = Join
web-join-cannot-reach-the-inviting-device = Cannot reach the inviting device. Both need the same Wi-Fi, with kdcd running on the inviter.
web-join-invite-token = Invite token
web-join-join-an-area = Join an area
web-join-paste-the-invite-token-it = Paste the invite token (it starts with kdc1-).
web-join-this-device-connects-to-the = This device connects to the inviting one and receives the area. It can take up to a minute.
web-layout-a-teammate-s-change-has = A teammate's change has arrived.{" "}
web-layout-add = Add
web-layout-find = Find
web-layout-find-a-house-code = Find a house code
web-layout-home = Home
web-layout-house-code-e-g-t3 = House code, e.g. T3-045
web-layout-not-applicable = Not applicable
web-layout-not-met = Not met
web-layout-progress = Progress
web-layout-reload = Reload
web-layout-skip-to-content = Skip to content
web-layout-the-app-on-this-device = The app on this device has stopped (kdcd cannot be reached). What you typed is kept on this page and sent as soon as it runs again. On a phone: open Termux and start kdcd again.
web-layout-worklist = Worklist
web-login-and-scan-the-qr-code = {" "}and scan the QR code with this phone's camera, or type the code here.
web-login-log-in = Log in
web-login-login-code = Login code
web-login-on-the-area-head-s = On the area head's computer, run{" "}
web-login-open-the-login-link-that = Open the login link that{" "}
web-login-printed-when-it-started-or = {" "}printed when it started, or run{" "}
web-login-this-login-link-cannot-be = This login link cannot be used (each link works once). Get a new one.
web-login-this-login-link-has-expired = This login link has expired (10 minutes). Get a new one.
web-login-you-need-to-log-in = You need to log in.
web-members = Members
web-met = Met
web-mod-a-request-from-another-site = A request from another site was refused.
web-mod-not-found = Not found
web-mod-the-form-is-too-large = The form is too large.
web-mod-there-is-no-such-page = There is no such page.
web-mod-this-device-cannot-store-data = This device cannot store data:
web-mod-this-host-is-not-this = This Host is not this device.
web-new-household-add-household = Add household
web-new-household-address-house-number-lane-no = Address (house number, lane — no names)
web-new-household-go-to-it = Go to it
web-new-household-house-code-on-the-area = House code on the area map (e.g. T3-045)
web-new-household-letters-digits-dot-underscore-hyphen = Letters, digits, dot, underscore, hyphen; up to 64 characters.
web-new-household-new-household = New household
web-new-household-not-saved-fix-the-marked = Not saved: fix the marked field and press Add.{" "}
web-new-household-residential-group-pick-or-type = Residential group (pick or type a new one)
web-no-data-yet = No data yet
web-no-group = (no group)
web-not-reachable = Not reachable
web-not-yet-certifiable = Not yet certifiable
web-print-door-to-door-sheets = Door-to-door sheets
web-print-every-group-a-page-each = — Every group (a page each) —
web-print-house = House
web-print-households-to-visit = households to visit
web-print-needs = Needs
web-print-no-household-left-to-visit = No household left to visit.
web-print-printed = printed{" "}
web-print-show = Show
web-print-to-print-the-browser-s = To print: the browser's Print (Ctrl+P), A4. The sheets hold only house codes, addresses and what is needed.
web-print-visited = Visited
web-reachable = Reachable
web-required-criteria = required criteria
web-save = Save
web-team = Team
web-team-a-new-release = A new release:{" "}
web-team-a-relay-lets-phones-on = A relay lets phones on mobile data sync with each other. It only forwards encrypted data and stores nothing of the area.
web-team-add = Add
web-team-add-a-device-address = Add a device address
web-team-add-a-relay-its-full = Add a relay (its full address, ending in /p2p/…)
web-team-adopted = Adopted
web-team-advanced-devices-on-the-network = Advanced: devices on the network, add an address
web-team-confirm-removing = Confirm removing
web-team-confirm-removing-2 = Confirm removing{" "}
web-team-connect = Connect
web-team-copy-token = Copy token
web-team-create-an-invite = Create an invite
web-team-current-epoch = Current epoch:{" "}
web-team-device-id = Device id
web-team-device-not-on-the-roster = (device not on the roster)
web-team-devices-not-there-yet-take = Devices not there yet take it when they next sync. The law asks for deletion within 15 days: remove a device that never returns.
web-team-erased-household = Erased household{" "}
web-team-erasure-on-request = Erasure on request
web-team-for-this-device-it-runs = {" "}for this device (it runs{" "}
web-team-from-the-area-s-change = From the area's change log: every synced device shows the same figures.
web-team-has-release = {" "}has release{" "}
web-team-households-erased = households erased:{" "}
web-team-in-use-members-reach-this = In use: members reach this device through it
web-team-installed-release = Installed release{" "}
web-team-invite-a-member = Invite a member
web-team-join-link = Join link
web-team-last-write = last write:{" "}
web-team-latest-erasure = latest erasure:{" "}
web-team-may-still-hold-erased-data = {" "}may still hold erased data (a lost phone: report the breach within 72 hours).
web-team-member = Member
web-team-no-household-recorded-this-week = No household recorded this week yet.
web-team-no-peer-seen-yet = No peer seen yet.
web-team-no-relay-yet-devices-sync = No relay yet: devices sync only on a shared Wi-Fi.
web-team-not-syncing-check-the-connection = Not syncing? Check the connection
web-team-not-tried-yet = Not tried yet
web-team-on-the-new-member-s = On the new member's phone (running kdcd), scan this with the camera:
web-team-on-this-device = {" "}on this device.
web-team-once-the-area-has-a = Once the area has a relay, these devices receive none of its changes until they update to{" "}
web-team-open-the-team-page-again = Open the team page again
web-team-or-send-this-token-single = Or send this token (single use, expires{" "}
web-team-peers = Peers
web-team-print-door-to-door-sheets = Print door-to-door sheets by group
web-team-receives-none-of-the-area = : receives none of the area's changes until it updates to{" "}
web-team-release = release{" "}
web-team-release-2 = Release{" "}
web-team-remove = Remove
web-team-remove-2 = Remove…
web-team-remove-3 = Remove
web-team-remove-relay = Remove relay…
web-team-removed-device = Removed device{" "}
web-team-still-holds-erased-data = Still holds erased data
web-team-syncing-beyond-the-wi-fi = Syncing beyond the Wi-Fi (relays)
web-team-the-area-head-adds-and = The area head adds and removes relays.
web-team-the-team-s-work = The team's work
web-team-this-device = this device
web-team-this-device-is-restarting-on = This device is restarting on the new release (a few seconds). Then:
web-team-this-week-new-updated = This week: new / updated
web-team-today-new-updated = Today: new / updated
web-team-update-to = Update to{" "}
web-team-updating = Updating
web-team-updating-takes-the-app-away = Updating takes the app away for a few seconds; nothing is lost.
web-team-was = {" "}(was{" "}
web-the-form-is-stale-or = The form is stale or invalid; reload the page.
web-through-the-relay = through the relay
web-ward = Ward
web-ward-areas = areas
web-ward-areas-2 = Areas
web-ward-areas-3 = areas
web-ward-areas-this-device-syncs-live = Areas this device syncs live
web-ward-at-epoch = {" "}at epoch{" "}
web-ward-at-most-120-characters-no = At most 120 characters, no control characters
web-ward-by-ward = By ward
web-ward-certified = Certified
web-ward-certified-areas = Certified areas
web-ward-choose-at-least-one-kdcsnap = Choose at least one .kdcsnap file.
web-ward-choose-or-drop-every-file = Choose (or drop) every file received by Zalo, USB or e-mail: many areas, many devices, repeats are fine. Files are checked and merged in memory; nothing is stored unless you press "Store on this device".
web-ward-choose-other-files = Choose other files
web-ward-devices = devices
web-ward-download-and-store = Download and store
web-ward-each-area = Each area
web-ward-each-area-by-residential-group = Each area, by residential group
web-ward-encouraged = encouraged
web-ward-files-left-out-the-others = files left out — the others still give the report below
web-ward-files-used = files used
web-ward-has-changes-of-its-own = Has changes of its own: keep it
web-ward-households = Households
web-ward-households-were-erased-on-request = {" "}(households were erased on request): the old copy is not used.
web-ward-intact = Intact
web-ward-is-superseded-by-epoch = {" "}is superseded by epoch{" "}
web-ward-issuing-body-top-left = Issuing body (top left)
web-ward-last-change = Last change:{" "}
web-ward-last-change-2 = Last change
web-ward-leave-empty-for-the-default = Leave empty for the default (from the areas' ward). Kept on this device.
web-ward-left-out = Left out
web-ward-may-be-deleted = (may be deleted)
web-ward-merged-file-kdcsnap = Merged file (.kdcsnap)
web-ward-met = Met{" "}
web-ward-new-on-this-device = new on this device
web-ward-newest-has-every-change-of = Newest: has every change of this area
web-ward-no = No.
web-ward-no-file-could-be-used = No file could be used: there is no report.
web-ward-no-issuing-body-yet-the = No issuing body yet: the printed report would say only “UBND”. Fill in “Issuing body” under{" "}
web-ward-not-yet = Not yet
web-ward-one-may-be-deleted = (one may be deleted)
web-ward-over-7-days-ago = over 7 days ago
web-ward-place-on-the-date-line = Place (on the date line)
web-ward-preparer-s-name = Preparer's name
web-ward-preparer-s-title = Preparer's title
web-ward-print-the-report = Print the report
web-ward-required-criteria = {" "}required criteria
web-ward-result = Result
web-ward-same-as = Same as
web-ward-show-the-report = Show the report
web-ward-signer-s-name = Signer's name
web-ward-signer-s-title = Signer's title
web-ward-stale-everything-is-also-in = Stale: everything is also in
web-ward-store-on-this-device = Store on this device
web-ward-stored-on-this-device = Stored on this device:
web-ward-the-areas-snapshot-files-kdcsnap = The areas' snapshot files (.kdcsnap)
web-ward-the-copy-of-area = the copy of area{" "}
web-ward-the-file-did-not-arrive = the file did not arrive whole
web-ward-the-files-chosen = The files chosen
web-ward-the-files-did-not-arrive = The files did not arrive whole.
web-ward-the-key-file-cannot-be = The key file cannot be read
web-ward-the-ward-s-key-for = The ward's key (for encrypted files; optional)
web-ward-then-print = , then print.
web-ward-there-is-no-such-download = There is no such download.
web-ward-this-device-is-a-member = This device is a member of these areas: their figures update at every sync (same Wi-Fi or through a relay), no file needed.
web-ward-this-report-is-no-longer = This report is no longer in memory (the device restarted or newer reports replaced it): choose the files again on the Ward page.
web-ward-to-print-use-the-browser = To print: use the browser's Print (Ctrl+P), A4 landscape, or "Save as PDF".
web-ward-ward = Ward
web-ward-ward-office-the-areas-report = Ward office: the areas' report
web-ward-ward-report = Ward report
web-ward-what-the-printed-report-says = What the printed report says (issuing body, signers)
web-ward-what-the-printed-report-says-2 = What the printed report says
web-worklist-all-households = — All households —
web-worklist-all-met = All met
web-worklist-criterion-not-met = Criterion not met
web-worklist-declined-do-not-ask-again = Declined — do not ask again
web-worklist-every-group = — Every group —
web-worklist-households = households{" "}
web-worklist-households-to-visit = Households to visit
web-worklist-next = Next
web-worklist-not-meeting = not meeting:{" "}
web-worklist-not-recorded = not recorded:
web-worklist-page = Page{" "}
web-worklist-pages = Pages
web-worklist-previous = Previous
web-worklist-show = Show
web-worklist-unknown = unknown
web-worklist-worklist = Worklist
web-household-consent-verbal = ✓ Consents (verbally)
web-household-consent-written = ✓ Consents (signed form)
web-household-consent-refused = ✗ Declines: only the house code is kept
web-board-no-data-count = { $count ->
        [one] 1 criterion with no data yet
       *[other] { $count } criteria with no data yet
    }
web-ago-now = just now
web-ago-minutes = { $minutes ->
        [one] 1 minute ago
       *[other] { $minutes } minutes ago
    }
web-ago-hours = { $hours ->
        [one] 1 hour ago
       *[other] { $hours } hours ago
    }
web-sync-connected = ● Connected
web-sync-connected-last = ● Connected · last synced: { $ago }
web-sync-last = ○ Last synced: { $ago }
web-sync-never = ○ Not synced with this device yet
web-needed-unreachable = Not reachable without new households
web-needed-residents = { $count ->
        [one] 1 more resident
       *[other] { $count } more residents
    }
web-needed-households = { $count ->
        [one] 1 more household
       *[other] { $count } more households
    }
web-needed-businesses = { $count ->
        [one] 1 more business household
       *[other] { $count } more business households
    }

## Reports (CSV, XLSX, print) and the ward office's files

report-prepared-by = PREPARED BY
report-signature-full-name = (Signature, full name)
report-chairperson = CHAIRPERSON
report-signature-seal = (Signature, seal)
report-summary = Summary
report-digital-residential-areas-progress-report = DIGITAL RESIDENTIAL AREAS: PROGRESS REPORT
report-n-a = n/a
report-met = Met
report-total = Total
report-rate = Rate
report-report-date = Report date
report-residential-area = Residential area
report-households-declined-not-counted = Households declined (not counted)
report-certified-areas = Certified areas
report-areas-in-total = Areas in total
report-by-ward = By ward
report-areas = Areas
report-required-criteria-met = Required criteria met
report-incomplete-households = Incomplete (households)
report-whole-area = Whole area
report-certified-areas-line = Certified areas: { $certified } of { $total }
report-declined-line = { $declined ->
        [one] 1 household
       *[other] { $declined } households
    } declined the survey ({ $share }): counted in no criterion
report-dated = { $day }/{ $month }/{ $year }
report-certified = Certified
report-not-certified = Not certified
ward-not-a-snapshot = not a KDC snapshot file (it does not start with the KDCSNAP signature)
ward-unsupported-version = snapshot format version { $version } is not supported (this release reads version { $supported }); update KDC Sync
ward-truncated = the file is truncated ({ $detail })
ward-checksum = the checksum does not match: the file is corrupt
ward-bad-area = area { $id } in the file is not valid: { $reason }
ward-empty = the file holds no area
ward-encrypted = the file is encrypted for the ward office and no key on this device opens it: choose the ward's key file
ward-different-areas = area { $id } in this file and in { $first } are two different areas sharing an id (created apart): not merged
ward-not-merged = area { $id } cannot be merged: { $reason }
ward-no-input = no file

## The doctor's advice (kdc doctor, the doctor page)

doctor-relay-unreachable = Cannot reach relay { $relay } (area { $area }): it is off, or this device has no internet. Meanwhile devices sync only on a shared Wi-Fi.
doctor-relay-refused = Relay { $relay } (area { $area }) refused this device a reservation: { $error }. If the area has another relay, this device uses that one.
doctor-no-reservation = This device holds no reservation at any relay: members on other networks cannot reach it yet (it still reaches them when it can).
doctor-no-relay = Area { $area } has no relay: members on mobile data or another network cannot sync. The head adds one on the team page{ $surface ->
        [web] {""}
       *[other] {" "}(or `kdc area relay add`)
    }.
doctor-relayed = Syncing with { $who } (area { $area }) through the relay{ $direct ->
        [failed] {" "}(a direct connection could not pass the mobile network or router)
       *[other] {""}
    }: complete, a little slower. On a shared Wi-Fi the two connect directly.
doctor-erased-data-on-removed-device = Area { $area }: the removed device { $name } ({ $peer }) last held epoch { $held }, before the latest erasure (epoch { $epoch }): it may still hold erased households. If the phone was lost, tell whoever is responsible for data protection (a breach is reported within 72 hours).
doctor-erasure-pending = Area { $area }: { $names } have not adopted epoch { $epoch } (after an erasure): they will when they next sync; remove a device that never returns.
feature-relays = the area's relays
feature-max-declined = a limit on declined households in the profile
doctor-member-behind = Area { $area }: { $name }'s device runs { $version } and the area needs { $need } or newer{ $reasons ->
        [0] {""}
       *[other] {" "}(for { $why })
    }. It still sends its own records but receives nobody else's until it updates: update it to { $need } (kdc update, or copy the new release over).
doctor-no-network = This device has no network address but itself: turn Wi-Fi on and join the team's network.
doctor-removed-here = This device is not (or no longer) a member of area { $area }: ask the area head to add it again, or scan a new invite.
doctor-mdns-off = Finding devices on the network (mDNS) is off or could not start: use an invite (it carries addresses) or { $surface ->
        [web] “Advanced” on the Team page (add a device address)
       *[other] `kdc peer add ADDRESS`
    }.
doctor-mdns-silent = No device has answered mDNS: the Wi-Fi may block multicast or isolate clients (guest Wi-Fi, some routers; Termux on Android cannot hold the multicast lock). Use an invite or { $surface ->
        [web] “Advanced” on the Team page (add a device address)
       *[other] `kdc peer add ADDRESS`
    }.
doctor-never-seen = { $who } of area { $area } has never been seen: ask them to { $surface ->
        [web] open the KDC Sync app on the same Wi-Fi, or add their address under “Advanced” on the Team page
       *[other] run kdcd on the same Wi-Fi, or add their address with `kdc peer add`
    }.
doctor-unreachable = Cannot reach { $who } (area { $area }) at its known addresses: it is off, on another network, or a firewall blocks the port.
doctor-reachable-not-syncing = { $who } (area { $area }) answers but does not sync: this device may not be on its roster; try again in a few seconds.
doctor-refused = The last sync with { $who } (area { $area }) was refused: { $reason }
doctor-clock = Area { $area } has a change stamped { $minutes ->
        [one] 1 minute
       *[other] { $minutes } minutes
    } after this device's clock: this device's clock or another's is off; set the time automatically.
doctor-ok = All well: connected to { $all } of { $all } other members.
doctor-termux = This { $surface ->
        [web] device runs KDC Sync
       *[other] kdcd runs
    } in Termux (Android): Android does not let Termux find devices by mDNS, so join areas with an invite (it carries the inviting device's addresses). To keep syncing with the screen off: run { $surface ->
        [web] termux-wake-lock (in Termux)
       *[other] `termux-wake-lock`
    } and turn off battery optimisation for Termux in Settings.

## kdc, more

cli-this-device = This device
cli-none = (none)
cli-listening-on = Listening on
cli-on = on
cli-off = off
cli-devices-seen-by-mdns = devices seen by mDNS
cli-this-device-s-clock = This device's clock
cli-a-public-address = a public address
cli-reachable-from-other-networks = Reachable from other networks
cli-reachable = Reachable
cli-no-address-known = no address known
cli-advice = Advice:
cli-declined-do-not-ask-again = declined, do not ask again
cli-invalid-counts-as-unknown = invalid, counts as unknown
cli-update-kept = Kept release { $version } ({ $target }) to offer to teammates.
cli-update-rolled-back = The previous release is back in place; kdcd is restarting.
cli-update-none-offered = No connected teammate offers a release newer than { $current } for this device ({ $target }).
cli-update-needs-yes = needs a yes: add --yes to install when not on a terminal
cli-update-confirm = Install release { $version } (from { $from }, { $size } bytes) in place of { $current }? [y/N]
cli-update-not-installed = not installed
cli-update-installed = Installed release { $version } (was { $previous }, { $bytes } bytes fetched); kdcd is restarting.
cli-update-current = This device: { $current } ({ $target })
cli-update-no-offer = No newer release offered by a connected teammate.
cli-update-offer = Release { $version } offered by { $from } ({ $size } bytes): run `kdc update` to install it
cli-refusal = { $by ->
        [peer] { $who } refused a sync message for area { $area } at { $at }: { $reason }
       *[other] Refused a sync message for area { $area } from { $who } at { $at }: { $reason }
    }
cli-erase-cancelled = cancelled: nothing was erased (add --yes to erase without asking)
cli-erase-confirm = Erase household { $hh } from area { $area }, history included, on every device? This cannot be undone. Type { $hh } to confirm:
cli-erased = Erased household { $hh } from area { $area }: the area is on epoch { $epoch }.
cli-erasure-status = Area { $area }: epoch { $epoch }; households erased: { $erased }
cli-erasure-adopted = ✓ adopted
cli-erasure-not-adopted = ✗ still holds erased data
cli-erasure-removed-behind = removed device { $name } ({ $peer }) last held epoch { $held }: it may still hold erased data (a lost phone: report the breach within 72 hours)
cli-erasure-pending = { $count ->
        [one] 1 device has
       *[other] { $count } devices have
    } not adopted it yet: they will when they next sync; remove a device that never returns (kdc member remove).
cli-profile-upgraded = Area { $area } now uses criteria profile { $profile } version { $version }
cli-ui-revoked = Browser session { $id } logged out.
cli-ui-scan = Scan this with the phone's camera (same Wi-Fi), or open the link; it works once, for 10 minutes:
cli-ui-open = Open this link in a browser (it works once, for 10 minutes):
cli-ui-no-sessions = No browser is logged in.
cli-ui-col-logged-in = Logged in
cli-ui-col-last-seen = Last seen
cli-ui-col-lan = LAN
cli-ui-col-browser = Browser
cli-relay-leaves-behind = Note: these devices receive none of the area's changes until they update to { $since }: { $devices }
refusal-text-invalid = { $what } is not valid: at most 200 characters, no line breaks or control characters.
refusal-house-code = The house code is not valid: use letters A–Z, digits, dots, underscores or hyphens, 1 to 64 characters (for example T3-045).
refusal-consent-missing = No consent recorded yet: choose “Consents” (verbally or by signed form) before recording answers, or “Declines” to keep the house code only.
refusal-consent-method = Choose how the household consented: verbally or by signed form.
refusal-group = The group name
refusal-address = The address
refusal-consent-ref = The consent form number
refusal-notice-version = The notice version
refusal-nothing-to-save = Nothing to save: record at least one answer.
refusal-not-accepted = Value not accepted ({ $detail }).
web-team-relay-head-only = Only the area head may add or remove relays.
web-team-relay-invalid = The relay address is not valid: it needs the full address that relay's kdcd prints, for example /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW… ({ $detail })
web-worklist-gap-persons = { $label }: { $persons } still without
refusal-value = The value “{ $typed }” is not accepted. Allowed: { $allowed }.
refusal-allowed-count = a whole number from { $min } to { $max }
refusal-not-above = , not more than “{ $label }”{ $figure }
refusal-not-below = , not less than “{ $label }”{ $figure }
refusal-allowed-yes-no = Yes or No
refusal-allowed-yes-no-unknown = Yes, No or Unknown
refusal-business-only = Only for business households.
refusal-not-found = { $what ->
        [area] there is no area { $which } on this device
        [household] there is no household { $which } in this area
        [member] { $which } is not on the area's roster
        [relay] the area has no relay { $which }
       *[other] { $what } not found: { $which }
    }
refusal-exists = { $what ->
        [area] area { $which } already exists on this device
        [household] household { $which } already exists in the area (change it with: kdc household set)
       *[other] { $what } already exists: { $which }
    }

## kdcd's own lines on its terminal (both languages at once: kdcd has no language setting)

kdcd-open-in-browser = open in a browser (10 minutes)
kdcd-how-to-log-in = to log in to the web app, run `kdc --data-dir { $dir } ui` (prints a one-time login link)
kdcd-passphrase = data key passphrase
kdcd-passphrase-again = again
web-ward-failed = { $step ->
        [saving] The settings could not be saved
        [decoding] The files could not be read
        [merging] The files could not be merged
       *[other] The report could not be made
    }: an error inside kdcd; try again, and if it happens again, send kdcd's log to whoever supports you.

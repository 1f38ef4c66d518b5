//! The command line, as clap types. Parsing only: no IO here.
//!
//! Usage errors (unknown flags, missing arguments, a malformed `FIELD=VALUE`) are reported by
//! clap itself with exit code 2; `--help` and `--version` exit 0.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use crdt_model::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "kdc",
    version,
    about = "KDC Sync: household records of a digital residential area, synchronised peer to peer.",
    long_about = None,
    propagate_version = true,
    after_help = "Exit codes: 0 ok, 1 runtime failure, 2 invalid usage or input, 3 daemon not reachable, 4 not found."
)]
pub struct Cli {
    /// Data directory of the local kdcd (default: the platform's data directory + /kdc).
    #[arg(long, global = true, env = "KDC_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Machine output: one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,

    /// Language of human output (default: from LANG; Vietnamese when it starts with "vi").
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<LangArg>,

    /// An age identity file (from `kdc ward keygen`) that opens encrypted snapshot files;
    /// repeatable. The device's own key (DATA_DIR/age.key) is always tried too.
    #[arg(long, global = true, value_name = "FILE")]
    pub identity: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum ErasureCmd {
    /// Which members' devices have adopted the area's current epoch (and so no longer hold
    /// the households erased before it).
    Status {
        /// Area id.
        area: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Vi,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Vi => Lang::Vi,
            LangArg::En => Lang::En,
        }
    }
}

/// The output language: `--lang` when given, else from the `LANG` value (Vietnamese when it
/// starts with "vi", English otherwise, including when `LANG` is unset).
pub fn resolve_lang(flag: Option<LangArg>, lang_env: Option<&str>) -> Lang {
    match flag {
        Some(l) => l.into(),
        None if lang_env.is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("vi")) => Lang::Vi,
        None => Lang::En,
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show this device's peer id, name and listen addresses.
    Id,
    /// Create and list areas.
    #[command(subcommand)]
    Area(AreaCmd),
    /// The ward office's key for encrypted snapshot files.
    #[command(subcommand)]
    Ward(WardCmd),
    /// Record, change, show and list households.
    #[command(subcommand)]
    Household(HouseholdCmd),
    /// Compliance of an area with its criteria profile (now, or at the end of a past day).
    Status {
        /// Area id.
        area: String,
        /// The status as it was at the end of this day: YYYY-MM-DD or DD/MM/YYYY.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        at: Option<NaiveDate>,
        /// Read the area from this snapshot file instead of the daemon.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
    },
    /// Members (devices) of an area.
    #[command(subcommand)]
    Member(MemberCmd),
    /// Erasures: which members' devices still hold data erased since.
    #[command(subcommand)]
    Erasure(ErasureCmd),
    /// Create a one-time invitation to an area (and a QR code on a terminal).
    Invite {
        /// Area id.
        area: String,
    },
    /// Join an area with an invitation token.
    Join {
        /// The token from `kdc invite`.
        token: String,
    },
    /// The web app: print a one-time login URL (and open a browser), list or end sessions.
    Ui {
        /// Do not open a browser; only print the URL.
        #[arg(long)]
        no_open: bool,
        /// A URL for a browser on another device (kdcd needs --ui-listen), with a QR code.
        #[arg(long, conflicts_with_all = ["sessions", "revoke"])]
        lan: bool,
        /// List the browsers logged in.
        #[arg(long, conflicts_with = "revoke")]
        sessions: bool,
        /// Log out the browser session with this id (from --sessions).
        #[arg(long, value_name = "ID")]
        revoke: Option<String>,
    },
    /// A newer release from a teammate: see what is offered (--check), install it (asks, or
    /// --yes), go back (--rollback), or keep an archive to offer to teammates (--import FILE).
    Update {
        /// Only say what connected teammates offer for this device.
        #[arg(long, conflicts_with_all = ["rollback", "import", "yes"])]
        check: bool,
        /// Install without asking (needed when not on a terminal).
        #[arg(long)]
        yes: bool,
        /// This release rather than the newest offered.
        #[arg(long, value_name = "VERSION", conflicts_with_all = ["rollback", "import"])]
        release: Option<String>,
        /// Put back the release that was in place before the last update.
        #[arg(long, conflicts_with = "import")]
        rollback: bool,
        /// Keep this signed release archive (with FILE.minisig beside it) to offer to teammates.
        #[arg(long, value_name = "FILE")]
        import: Option<std::path::PathBuf>,
    },
    /// Peers this device knows of: connected or not, last seen, areas in sync.
    Peers,
    /// Why does it not sync? Addresses, mDNS, each member: connected, last seen, reachable; advice.
    Doctor {
        /// Only this area (default: every area on this device).
        area: Option<String>,
    },
    /// Dial a peer by address (and keep redialling it).
    #[command(subcommand)]
    Peer(PeerCmd),
    /// Export, import, merge and verify snapshot files.
    #[command(subcommand)]
    Snapshot(SnapshotCmd),
    /// An area's compliance day by day, or every change of one household.
    History {
        /// Area id.
        area: String,
        /// Every change of this household: when, which device, field, old and new value.
        #[arg(long, value_name = "HH")]
        household: Option<String>,
        /// From this day on: YYYY-MM-DD or DD/MM/YYYY.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        since: Option<NaiveDate>,
        /// Up to and including this day: YYYY-MM-DD or DD/MM/YYYY.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        until: Option<NaiveDate>,
        /// Output format (`--json` is the same as `--format json`).
        #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
        format: HistoryFormat,
        /// Read the area from this snapshot file instead of the daemon.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
    },
    /// Household fields edited concurrently on different devices.
    Conflicts {
        /// Area id.
        area: String,
        /// Read the area from this snapshot file instead of the daemon.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
    },
    /// Compliance report over snapshot files (no daemon needed).
    Report {
        /// Snapshot files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Output file.
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum AreaCmd {
    /// Create an area on this device.
    Create {
        /// Area id: [a-z0-9-]{1,64}, e.g. tam-giac-3.
        area: String,
        /// Display name of the area.
        #[arg(long)]
        name: String,
        /// The ward (phường/xã) the area belongs to.
        #[arg(long)]
        ward: String,
        /// A criteria profile TOML file (default: kdc-so-v1).
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
    },
    /// List the areas on this device.
    List,
    /// Move an area to the newer built-in criteria profile (head only): version 2 asks for the
    /// resident's consent before anything is recorded.
    Upgrade {
        /// Area id.
        area: String,
    },
    /// The relays the area's devices use beyond the LAN (mobile data, behind NAT).
    #[command(subcommand)]
    Relay(RelayCmd),
}

#[derive(Debug, Subcommand)]
pub enum RelayCmd {
    /// Add a relay (head only): its full address, ending in /p2p/PEER_ID. Every member learns
    /// it by sync.
    Add {
        /// Area id.
        area: String,
        /// The relay's address, e.g. /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…
        multiaddr: String,
    },
    /// Remove a relay (head only), given its address or its peer id.
    Remove {
        /// Area id.
        area: String,
        /// The relay's address or peer id.
        multiaddr: String,
    },
    /// List the area's relays: reachable from this device, reservation held.
    List {
        /// Area id.
        area: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum HouseholdCmd {
    /// Record a new household.
    Add {
        /// Area id.
        area: String,
        /// House code on the area map, e.g. T3-045.
        hh: String,
        /// Street address.
        #[arg(long, value_name = "TEXT")]
        address: Option<String>,
        /// Residential group (tổ dân phố).
        #[arg(long, value_name = "TEXT")]
        group: Option<String>,
        #[command(flatten)]
        consent: ConsentArgs,
        /// Field values, e.g. members=4 internet=yes.
        #[arg(value_name = "FIELD=VALUE", value_parser = parse_field_value)]
        fields: Vec<(String, String)>,
    },
    /// Change fields of a household.
    Set {
        /// Area id.
        area: String,
        /// House code.
        hh: String,
        /// Field values, e.g. eid_accounts=3.
        #[arg(
            value_name = "FIELD=VALUE",
            value_parser = parse_field_value,
            required_unless_present_any = ["address", "group", "consent"]
        )]
        fields: Vec<(String, String)>,
        /// New street address.
        #[arg(long, value_name = "TEXT")]
        address: Option<String>,
        /// New residential group.
        #[arg(long, value_name = "TEXT")]
        group: Option<String>,
        #[command(flatten)]
        consent: ConsentArgs,
    },
    /// Record the resident's consent: given, refused (nothing but the house code is kept) or
    /// withdrawn (the household's answers are deleted).
    Consent {
        /// Area id.
        area: String,
        /// House code.
        hh: String,
        /// The decision.
        #[arg(value_enum)]
        state: ConsentStateArg,
        /// How consent was given (with `given`).
        #[arg(long, value_enum)]
        method: Option<ConsentMethodArg>,
        /// Reference of the signed paper form.
        #[arg(long = "ref", value_name = "TEXT")]
        reference: Option<String>,
        /// Version of the notice read to the resident (default: the area profile's).
        #[arg(long, value_name = "V")]
        notice_version: Option<String>,
        /// Residential group, for a household recorded for the first time.
        #[arg(long, value_name = "TEXT")]
        group: Option<String>,
    },
    /// Erase a household from the area's data and its history on every device (head only):
    /// the area moves to a new epoch without it. Asks for confirmation unless --yes.
    Erase {
        /// Area id.
        area: String,
        /// House code.
        hh: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Show one household: fields and criteria.
    Show {
        /// Area id.
        area: String,
        /// House code.
        hh: String,
    },
    /// List households: the door-to-door worklist with --missing.
    List {
        /// Area id.
        area: String,
        /// Only this residential group.
        #[arg(long, value_name = "G")]
        group: Option<String>,
        /// Only households that do not meet this criterion yet.
        #[arg(long, value_name = "CRITERION")]
        missing: Option<String>,
        /// Include archived households.
        #[arg(long)]
        archived: bool,
    },
    /// Archive a household (moved away or demolished): it leaves all figures.
    Archive {
        /// Area id.
        area: String,
        /// House code.
        hh: String,
    },
}

/// Consent given at the door, with `household add` (or `set`, for a household recorded before
/// consent was asked for).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConsentArgs {
    /// The resident's consent, given verbally or on the paper form.
    #[arg(long, value_enum)]
    pub consent: Option<ConsentMethodArg>,
    /// Reference of the signed paper form.
    #[arg(long = "ref", value_name = "TEXT", requires = "consent")]
    pub reference: Option<String>,
    /// Version of the notice read to the resident (default: the area profile's).
    #[arg(long, value_name = "V", requires = "consent")]
    pub notice_version: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsentMethodArg {
    Verbal,
    Written,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsentStateArg {
    Given,
    Refused,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Head,
    Member,
    Ward,
}

impl Role {
    /// The role as the roster and the API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Head => "head",
            Role::Member => "member",
            Role::Ward => "ward",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum WardCmd {
    /// Make an age identity for a ward office (mode 0600); prints its recipient, to be given to
    /// the areas with `kdc member add … --role ward --recipient`.
    Keygen {
        /// Identity file to create (never overwritten).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCmd {
    /// Add a device to an area's roster.
    Add {
        /// Area id.
        area: String,
        /// The device's peer id.
        peer_id: String,
        /// Name of the device or volunteer.
        #[arg(long)]
        name: String,
        /// Role on the roster.
        #[arg(long, value_enum, default_value_t = Role::Member)]
        role: Role,
        /// The ward office's age recipient (age1…, printed by `kdc ward keygen`): exported
        /// snapshot files are then encrypted to it.
        #[arg(long, value_name = "AGE1…")]
        recipient: Option<String>,
    },
    /// List an area's roster.
    List {
        /// Area id.
        area: String,
    },
    /// Remove a device from an area's roster.
    Remove {
        /// Area id.
        area: String,
        /// The device's peer id.
        peer_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PeerCmd {
    /// Dial a peer and keep it.
    Add {
        /// The peer's multiaddr.
        multiaddr: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SnapshotCmd {
    /// Write an area's snapshot to a file.
    Export {
        /// Area id.
        area: String,
        /// Output file (written atomically).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Write the file unencrypted even when the area has ward recipients.
        #[arg(long)]
        plain: bool,
    },
    /// Import a snapshot file (creates the area when missing, else merges).
    Import {
        /// Snapshot file.
        file: PathBuf,
    },
    /// Merge snapshot files into one (no daemon needed).
    Merge {
        /// Output file.
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: PathBuf,
        /// Snapshot files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Check a snapshot file and describe it (no daemon needed).
    Verify {
        /// Snapshot file.
        file: PathBuf,
    },
}

/// A calendar day as users write it: `2026-08-15` or `15/08/2026` (also `15/8/2026`).
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y")).map_err(|_| {
        format!("{text:?} is not a date; allowed: YYYY-MM-DD or DD/MM/YYYY, e.g. 2026-08-15 or 15/08/2026")
    })
}

/// Splits `FIELD=VALUE` on the first `=`. The value is kept as typed (the daemon parses it
/// against the area's profile); the field name is trimmed and must not be empty.
pub fn parse_field_value(token: &str) -> Result<(String, String), String> {
    match token.split_once('=') {
        Some((field, value)) if !field.trim().is_empty() => Ok((field.trim().to_string(), value.to_string())),
        Some(_) => Err(format!("{token:?} has no field name; expected FIELD=VALUE, e.g. members=4")),
        None => Err(format!("{token:?} is not of the form FIELD=VALUE, e.g. members=4 or internet=yes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("kdc").chain(args.iter().copied()))
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn field_value_splits_on_first_equals() {
        assert_eq!(parse_field_value("members=4"), Ok(("members".into(), "4".into())));
        assert_eq!(parse_field_value("note=a=b"), Ok(("note".into(), "a=b".into())));
        assert_eq!(parse_field_value("internet=chưa rõ"), Ok(("internet".into(), "chưa rõ".into())));
        // An empty value is sent as typed: the daemon refuses it naming the field.
        assert_eq!(parse_field_value("internet="), Ok(("internet".into(), String::new())));
    }

    #[test]
    fn field_value_refuses_bad_tokens() {
        let err = parse_field_value("members4").unwrap_err();
        assert!(err.contains("\"members4\"") && err.contains("FIELD=VALUE"), "{err}");
        let err = parse_field_value("=4").unwrap_err();
        assert!(err.contains("\"=4\"") && err.contains("no field name"), "{err}");
        assert!(parse_field_value(" =4").is_err());
    }

    #[test]
    fn bad_field_value_is_a_usage_error() {
        let err = parse(&["household", "add", "--consent", "verbal", "a", "H1", "members4"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValueValidation);
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("members4"), "{err}");
    }

    #[test]
    fn household_add_collects_fields_and_flags() {
        let cli = parse(&[
            "household",
            "add",
            "--consent",
            "verbal",
            "tam-giac-3",
            "T3-045",
            "--group",
            "Tổ 3",
            "members=4",
            "internet=yes",
        ])
        .expect("parses");
        let Command::Household(HouseholdCmd::Add { area, hh, group, address, fields, .. }) = cli.command else {
            panic!("wrong command");
        };
        assert_eq!((area.as_str(), hh.as_str()), ("tam-giac-3", "T3-045"));
        assert_eq!(group.as_deref(), Some("Tổ 3"));
        assert_eq!(address, None);
        assert_eq!(fields, vec![("members".into(), "4".into()), ("internet".into(), "yes".into())]);
    }

    #[test]
    fn household_set_needs_something_to_set() {
        let err = parse(&["household", "set", "a", "H1"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(parse(&["household", "set", "a", "H1", "--group", "Tổ 1"]).is_ok());
        assert!(parse(&["household", "set", "a", "H1", "members=2"]).is_ok());
    }

    #[test]
    fn global_flags_anywhere() {
        let cli = parse(&["status", "a", "--json", "--lang", "vi", "--data-dir", "/tmp/x"]).expect("parses");
        assert!(cli.json);
        assert_eq!(cli.lang, Some(LangArg::Vi));
        assert_eq!(cli.data_dir, Some(PathBuf::from("/tmp/x")));
        assert!(parse(&["--lang", "fr", "id"]).is_err());
    }

    #[test]
    fn help_and_version_are_not_failures() {
        let err = parse(&["--help"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DisplayHelp);
        assert_eq!(err.exit_code(), 0);
        assert_eq!(parse(&["--version"]).unwrap_err().exit_code(), 0);
        assert_eq!(parse(&["frobnicate"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn member_commands() {
        let cli = parse(&["member", "add", "a", "12D3KooWX", "--name", "Minh"]).expect("parses");
        let Command::Member(MemberCmd::Add { area, peer_id, name, role, .. }) = cli.command else {
            panic!("wrong command");
        };
        assert_eq!((area.as_str(), peer_id.as_str(), name.as_str(), role), ("a", "12D3KooWX", "Minh", Role::Member));
        let cli = parse(&["member", "add", "a", "P", "--name", "Lan", "--role", "head"]).expect("parses");
        assert!(matches!(cli.command, Command::Member(MemberCmd::Add { role: Role::Head, .. })));
        assert_eq!(Role::Ward.as_str(), "ward");
        assert_eq!(parse(&["member", "add", "a", "P", "--name", "X", "--role", "boss"]).unwrap_err().exit_code(), 2);
        assert_eq!(parse(&["member", "add", "a", "P"]).unwrap_err().exit_code(), 2, "--name is required");
        let cli = parse(&["member", "remove", "a", "P"]).expect("parses");
        assert!(matches!(cli.command, Command::Member(MemberCmd::Remove { ref peer_id, .. }) if peer_id == "P"));
        assert_eq!(parse(&["member", "remove", "a"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn invite_join_and_peer_commands() {
        let cli = parse(&["invite", "tam-giac-3", "--json"]).expect("parses");
        assert!(cli.json && matches!(cli.command, Command::Invite { ref area } if area == "tam-giac-3"));
        // Tokens start with "kdc1-" and may contain '-' and '_': never taken for flags.
        let cli = parse(&["join", "kdc1-AbC-_9"]).expect("parses");
        assert!(matches!(cli.command, Command::Join { ref token } if token == "kdc1-AbC-_9"));
        assert_eq!(parse(&["join"]).unwrap_err().exit_code(), 2);
        assert!(matches!(parse(&["peers"]).expect("parses").command, Command::Peers));
        let cli = parse(&["peer", "add", "/ip4/192.168.1.20/tcp/4001"]).expect("parses");
        assert!(
            matches!(cli.command, Command::Peer(PeerCmd::Add { ref multiaddr }) if multiaddr == "/ip4/192.168.1.20/tcp/4001")
        );
        assert_eq!(parse(&["peer", "add"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn lang_detection() {
        assert_eq!(resolve_lang(None, Some("vi_VN.UTF-8")), Lang::Vi);
        assert_eq!(resolve_lang(None, Some("vi")), Lang::Vi);
        assert_eq!(resolve_lang(None, Some("en_US.UTF-8")), Lang::En);
        assert_eq!(resolve_lang(None, Some("C")), Lang::En);
        assert_eq!(resolve_lang(None, None), Lang::En);
        assert_eq!(resolve_lang(Some(LangArg::En), Some("vi_VN.UTF-8")), Lang::En);
        assert_eq!(resolve_lang(Some(LangArg::Vi), None), Lang::Vi);
    }
}

//! `cargo run -p kdc-tests --bin kdc-demo`: three devices of one residential area on this
//! machine. It starts three `kdcd` in temporary directories, pairs them with invite tokens,
//! lets each volunteer record a third of a synthetic area at the same time (a few houses visited
//! twice), and shows them converge and the area's compliance.

use std::time::{Duration, Instant};

use kdc_tests::{Daemon, Json, build_binaries, wait_until};

const AREA: &str = "tam-giac-3";
const HOUSEHOLDS: usize = 90;
const GROUPS: usize = 6;

/// A small seeded generator (xorshift64*), so every run shows the same area.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One household's answers, with the shares a real area shows.
fn household(rng: &mut Rng, i: usize) -> Vec<String> {
    let members = 1 + rng.below(6);
    let adults = (members - rng.below(members.min(3))).max(1);
    let count = |rng: &mut Rng, p: u64| (0..adults).filter(|_| rng.chance(p)).count();
    let yn = |rng: &mut Rng, p: u64| {
        if rng.chance(p) {
            "yes"
        } else if rng.chance(50) {
            "no"
        } else {
            "unknown"
        }
    };
    let mut f = vec![
        format!("members={members}"),
        format!("members_14plus={adults}"),
        format!("internet={}", yn(rng, 96)),
        format!("smartphone_users={}", count(rng, 93)),
        format!("eid_accounts={}", count(rng, 90)),
        format!("payment_accounts={}", count(rng, 88)),
        format!("digital_signature={}", yn(rng, 40)),
        format!("online_public_service={}", yn(rng, 85)),
        format!("smart_city_app={}", yn(rng, 55)),
        format!("mapped={}", yn(rng, 92)),
    ];
    if i % 7 == 3 {
        f.push("business=yes".into());
        f.push(format!("ecommerce={}", yn(rng, 60)));
        f.push(format!("qr_payment={}", yn(rng, 85)));
    } else {
        f.push("business=no".into());
    }
    f
}

fn main() {
    build_binaries();
    println!("Starting three devices (kdcd) in temporary directories…");
    let devices: Vec<(Daemon, &str)> =
        ["An", "Bình", "Chi"].into_iter().map(|n| (Daemon::start_args(&["--name", n]), n)).collect();
    let (a, _) = &devices[0];
    a.kdc(&["area", "create", AREA, "--name", "Khu dân cư Tam Giác 3", "--ward", "Phường Hạc Thành"]).ok();
    println!("An created area {AREA}; inviting Bình and Chi with one-time tokens…");
    for (d, name) in &devices[1..] {
        let token = a.json(&["invite", AREA])["token"].as_str().expect("token").to_string();
        let started = Instant::now();
        d.kdc(&["join", &token]).ok();
        println!("  {name} joined in {} ms", started.elapsed().as_millis());
    }

    println!("Each volunteer records {} households at the same time…", HOUSEHOLDS / 3);
    let started = Instant::now();
    std::thread::scope(|s| {
        for (k, (d, _)) in devices.iter().enumerate() {
            s.spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (k as u64 + 1));
                for i in (k..HOUSEHOLDS).step_by(3) {
                    let hh = format!("T{}-{:03}", 1 + i % GROUPS, i);
                    let group = format!("Tổ {}", 1 + i % GROUPS);
                    let fields = household(&mut rng, i);
                    let mut args = vec!["household", "add", "--consent", "verbal", AREA, &hh, "--group", &group];
                    args.extend(fields.iter().map(String::as_str));
                    d.kdc(&args).ok();
                }
                // One house is visited by two volunteers at once: both visits are kept; if the
                // two writes were concurrent, the field they disagree on shows as a conflict.
                if k < 2 {
                    let internet = if k == 0 { "internet=yes" } else { "internet=no" };
                    let other = if k == 0 { "members=4" } else { "mapped=yes" };
                    // Recorded by the other volunteer already (sync is fast): then it is an edit.
                    if d.kdc(&[
                        "household",
                        "add",
                        "--consent",
                        "verbal",
                        AREA,
                        "T1-900",
                        "--group",
                        "Tổ 1",
                        internet,
                        other,
                    ])
                    .code
                        != 0
                    {
                        d.kdc(&["household", "set", AREA, "T1-900", internet, other]).ok();
                    }
                }
            });
        }
    });
    let written = started.elapsed();
    let converge_start = Instant::now();
    let status = |d: &Daemon| -> Option<Json> {
        let out = d.kdc(&["--json", "status", AREA]);
        (out.code == 0).then(|| {
            let mut v = out.json();
            v.as_object_mut().map(|o| o.remove("members_sync"));
            v
        })
    };
    let converged = wait_until(Duration::from_secs(60), || {
        let s: Vec<Option<Json>> = devices.iter().map(|(d, _)| status(d)).collect();
        s[0].as_ref().is_some_and(|x| x["households"] == HOUSEHOLDS + 1) && s.iter().all(|x| x == &s[0])
    });
    let waited = converge_start.elapsed();
    if !converged {
        eprintln!("The devices did not converge within 60 s.");
        std::process::exit(1);
    }
    println!(
        "All three devices hold the same {} households: recording took {} ms, \
         convergence after the last write {} ms.\n",
        HOUSEHOLDS + 1,
        written.as_millis(),
        waited.as_millis()
    );
    // One edit on An, timed until Bình shows it; repeated to give a median.
    let (b, _) = &devices[1];
    let mut times = Vec::new();
    for i in 0..15 {
        let value = format!("members={}", 2 + i % 5);
        let started = Instant::now();
        a.kdc(&["household", "set", AREA, "T2-001", &value]).ok();
        let expected = serde_json::json!(2 + i % 5);
        let seen = wait_until(Duration::from_secs(10), || {
            b.kdc(&["--json", "household", "show", AREA, "T2-001"]).json()["fields"]["members"] == expected
        });
        assert!(seen, "the edit did not reach Bình");
        times.push(started.elapsed().as_millis());
    }
    times.sort_unstable();
    println!(
        "One edit on An, until `kdc household show` on Bình shows it (CLI process starts included, 10 ms polling): \
         median {} ms, max {} ms over {} edits.\n",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );

    let (c, _) = &devices[2];
    print!("{}", c.kdc(&["--lang", "vi", "status", AREA]).ok().stdout);
    println!();
    print!("{}", c.kdc(&["--lang", "en", "conflicts", AREA]).ok().stdout);
    println!();
    print!("{}", a.kdc(&["--lang", "en", "peers"]).ok().stdout);
}

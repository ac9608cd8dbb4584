//! Tests of what `ssc-gen OUTDIR` writes and of the hand-written ssc.profile(5): the man
//! pages render without groff warnings and document what the code accepts, the example
//! profiles parse, and the completions offer the installed profile names in bash, zsh
//! and fish (with a fake `ssc` on PATH).
//!
//! Tests that need groff, zsh or fish skip with a note when the tool is missing, unless
//! SSC_REQUIRE_TEST_TOOLS=1 (set by `make test`, after tools/install-deps.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ssc-gen-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the real binary once, as the Makefile does.
fn generated() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("out");
        let st = Command::new(env!("CARGO_BIN_EXE_ssc-gen"))
            .arg(&dir)
            .status()
            .unwrap();
        assert!(st.success(), "ssc-gen failed: {st}");
        dir
    })
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether `tool` can run; if not, the test is skipped, or fails under make test.
fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v \"$1\" >/dev/null", "sh", tool])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("SSC_REQUIRE_TEST_TOOLS").as_deref() == Ok("1") {
            panic!("{tool} is not installed (tools/install-deps.sh installs it)");
        }
        eprintln!("SKIP: {tool} is not installed");
    }
    found
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// roff source to plain text the way a reader sees it: `\-` is `-`.
fn unroff(s: &str) -> String {
    s.replace("\\-", "-")
}

// ------------------------------------------------------------------ man pages

fn groff_is_clean(page: &Path) -> String {
    let out = run(Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .arg(page)
        .env("LC_ALL", "C.UTF-8"));
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "groff -man -ww {}: {}\n{}",
        page.display(),
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn man_pages_render_without_warnings() {
    if !have("groff") {
        return;
    }
    let ssc1 = groff_is_clean(&generated().join("ssc.1"));
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "EXIT STATUS",
        "FILES",
        "SEE ALSO",
    ] {
        assert!(
            ssc1.contains(&format!("\n{section}\n")),
            "ssc(1) lacks {section}"
        );
    }
    let profile5 = groff_is_clean(&repo().join("man/ssc.profile.5"));
    for section in [
        "KEYS",
        "BUILT-IN PROFILES",
        "SECURITY",
        "ERRORS",
        "EXAMPLES",
    ] {
        assert!(
            profile5.contains(&format!("\n{section}\n")),
            "ssc.profile(5) lacks {section}"
        );
    }
}

#[test]
fn ssc_1_documents_every_option_of_the_definition() {
    let page = unroff(&read(&generated().join("ssc.1")));
    let cmd = ssc::cli::command();
    let mut checked = 0;
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let mut names: Vec<String> = Vec::new();
        names.extend(arg.get_long().map(|l| format!("--{l}")));
        names.extend(arg.get_short().map(|c| format!("-{c}")));
        for alias in arg.get_visible_aliases().unwrap_or_default() {
            assert!(
                page.contains(&format!("--{alias}")),
                "ssc(1) lacks --{alias}"
            );
        }
        for name in names {
            assert!(
                page.contains(&format!("\\fB{name}\\fR")),
                "ssc(1) lacks {name}"
            );
            checked += 1;
        }
        if let Some(help) = arg.get_help() {
            let first = help.to_string();
            let first = first.split(':').next().unwrap();
            assert!(
                page.contains(first),
                "ssc(1) lacks the help of {}",
                arg.get_id()
            );
        }
    }
    assert!(checked >= 6, "only {checked} option names");
    assert!(
        page.contains("--isolation"),
        "the --isolation alias is documented"
    );
    for code in ["125", "126", "127"] {
        assert!(
            page.contains(&format!("\\fB{code}\\fR")),
            "EXIT STATUS lacks {code}"
        );
    }
    assert!(page.contains(".TH SSC 1"));
    let version = cmd.get_version().expect("ssc has a version").to_string();
    assert!(
        page.contains(&format!(".TH SSC 1  \"ssc {version}\"")),
        "the title names ssc {version}"
    );
    assert!(
        page.contains("ssc.profile\\fR(5)"),
        "SEE ALSO names ssc.profile(5)"
    );
}

/// The keys ssc accepts: the allow-list the parser itself uses.
fn allowed_keys() -> Vec<String> {
    ssc::profile::KEYS.iter().map(|k| k.to_string()).collect()
}

#[test]
fn ssc_profile_5_documents_every_key_and_the_built_ins() {
    let page = read(&repo().join("man/ssc.profile.5"));
    let plain = unroff(&page);
    let keys = allowed_keys();
    assert!(keys.len() >= 10, "{keys:?}");
    for key in &keys {
        assert!(
            page.contains(&format!(".BI {key}= ")),
            "ssc.profile(5) has no entry for {key}"
        );
    }
    // Every built-in setting that does not depend on the machine appears verbatim.
    for name in ["strict", "relaxed", "offline"] {
        let a = ssc::profile::built_in(name, 2).unwrap();
        let b = ssc::profile::built_in(name, 64).unwrap();
        assert!(
            plain.contains(&format!(".B {name}\n")),
            "no entry for {name}"
        );
        for (x, y) in a.settings.iter().zip(&b.settings) {
            let (x, y) = (x.to_string(), y.to_string());
            if x == y {
                assert!(
                    plain.lines().any(|l| l == x),
                    "{name}: {x} not in ssc.profile(5)"
                );
            } else {
                let key = x.split('=').next().unwrap();
                assert!(plain.contains(&format!("{key}=\\fIN\\fP")), "{name}: {key}");
            }
        }
        assert_eq!(a.settings.len(), b.settings.len());
    }
    assert!(plain.contains("[a-z0-9][a-z0-9_-]{0,31}"), "name syntax");
    assert!(plain.contains("125"), "exit status");
}

// ------------------------------------------------------------------ examples

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("packaging/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    files.sort();
    files
}

#[test]
fn example_profiles_parse_and_match_the_man_page() {
    let files = examples();
    assert!(files.len() >= 2, "{files:?}");
    let man = unroff(&read(&repo().join("man/ssc.profile.5")));
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap();
        assert!(
            ssc::profile::valid_name(name),
            "{name} is not a valid profile name"
        );
        let body = read(&file);
        let prof = ssc::profile::parse(name, &file, &body)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(prof.settings.len() >= 3, "{name}: too few settings");
        assert!(
            prof.settings
                .iter()
                .any(|s| matches!(s, ssc::profile::Setting::Description(_))),
            "{name}: no Description"
        );
        // An example the man page shows must be shown exactly as shipped.
        if man.contains(&format!("/etc/ssc/profiles.d/{name}.conf:")) {
            for line in body
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
            {
                assert!(
                    man.lines().any(|l| l == line),
                    "{name}: '{line}' not in ssc.profile(5)"
                );
            }
        }
    }
}

// ------------------------------------------------------------------ completions

const NAMES: [&str; 4] = ["build", "relaxed", "strict", "web"];

/// A directory with a fake `ssc` whose --list-profiles prints NAMES as the real one
/// does (header lines, indented settings), plus an error line on stderr and status 125
/// as when one profile file is refused.
fn fake_ssc() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("fakebin");
        let script = "#!/bin/sh\n\
            [ \"$1\" = --list-profiles ] || { echo \"fake ssc: unexpected $*\" >&2; exit 2; }\n\
            printf 'build (/etc/ssc/profiles.d/build.conf)\\n    MemoryMax=60%%\\n    CPUWeight=20\\n'\n\
            printf 'relaxed (built-in)\\n    Description=Built-in relaxed isolation\\n    MemoryMax=70%%\\n'\n\
            printf 'strict (built-in)\\n    MemoryMax=70%%\\n    PrivateTmp=yes\\n'\n\
            printf 'web (/etc/ssc/profiles.d/web.conf)\\n    MemoryMax=4G\\n'\n\
            echo 'ssc: /etc/ssc/profiles.d/bad.conf:2: unknown key' >&2\n\
            exit 125\n";
        let path = dir.join("ssc");
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    })
}

fn path_with(dir: &Path) -> String {
    format!("{}:/usr/bin:/bin", dir.display())
}

fn lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// COMPREPLY after bash calls the generated completion function for `words`, the last
/// of which is the word being completed.
fn bash_complete(path: &str, words: &[&str]) -> (Vec<String>, String) {
    let script = generated().join("ssc.bash");
    let out = run(Command::new("bash")
        .arg("--norc")
        .arg("--noprofile")
        .arg("-c")
        .arg(
            r#"set -u
            . "$1"; shift
            # What bash does on TAB: -F _ssc gets COMP_WORDS/COMP_CWORD and the command,
            # the current word and the previous word as arguments.
            fn=$(complete -p ssc | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
            [ "$fn" = _ssc ] || { echo "complete -p ssc: $(complete -p ssc)"; exit 3; }
            COMP_WORDS=("$@")
            COMP_CWORD=$(( $# - 1 ))
            COMP_LINE="$*"
            COMP_POINT=${#COMP_LINE}
            COMPREPLY=()
            "$fn" ssc "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(&script)
        .args(words)
        .env_clear()
        .env("PATH", path)
        .env("HOME", "/nonexistent"));
    assert!(
        out.status.success(),
        "bash: {}: {}",
        out.status,
        text(&out.stderr)
    );
    (lines(&text(&out.stdout)), text(&out.stderr))
}

#[test]
fn bash_completes_profile_names_from_the_installed_ssc() {
    let path = path_with(fake_ssc());
    for opt in ["-p", "--profile", "--isolation"] {
        let (got, err) = bash_complete(&path, &["ssc", opt, ""]);
        assert_eq!(got, NAMES, "ssc {opt} <TAB>");
        assert_eq!(err, "", "ssc's stderr stays out of the terminal");
    }
    let (got, _) = bash_complete(&path, &["ssc", "--no-tty", "-p", "re"]);
    assert_eq!(got, ["relaxed"]);
    let (got, _) = bash_complete(&path, &["ssc", "--no-t"]);
    assert_eq!(got, ["--no-tty"]);
    let (got, _) = bash_complete(&path, &["ssc", "--list-p"]);
    assert_eq!(got, ["--list-profiles"]);
    // No ssc on PATH (not installed yet): nothing offered, and no error.
    let empty = scratch("emptybin");
    let (got, err) = bash_complete(&path_with(&empty), &["ssc", "-p", ""]);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(err, "");
}

#[test]
fn zsh_completes_profile_names_from_the_installed_ssc() {
    if !have("zsh") {
        return;
    }
    // zsh completes only inside its line editor: drive an interactive zsh on a pty
    // (zsh/zpty), wrap compadd so that every match it adds is written to a file, and
    // press TAB.
    let driver = r#"
emulate -L zsh
zmodload zsh/zpty || exit 3
compdir=$1 fakebin=$2 out=$3 line=$4
: >| $out
zpty z 'zsh -f -i'
zpty -w z "PS1=; RPROMPT=; fpath=(${(q)compdir} \$fpath); PATH=${(q)fakebin}:/usr/bin:/bin"
zpty -w z "autoload -U compinit && compinit -u -D"
zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a __h; builtin compadd -O __h \"\$@\"; (( \$#__h )) && print -rl -- \$__h >> ${(q)out}; builtin compadd \"\$@\" }"
zpty -w z "_ssc_test_done() { print -r -- '<done>' >> ${(q)out} }; comppostfuncs=(_ssc_test_done)"
zpty -w -n z "$line"$'\t'
for i in {1..200}; do
  grep -q '^<done>$' $out 2>/dev/null && break
  sleep 0.1
done
zpty -d z
grep -q '^<done>$' $out || { print -u2 "zsh completion did not finish"; exit 4; }
"#;
    let dir = scratch("zsh");
    let driver_path = dir.join("drive.zsh");
    std::fs::write(&driver_path, driver).unwrap();
    let complete = |line: &str| -> Vec<String> {
        let out_file = dir.join("matches");
        let out = run(Command::new("zsh")
            .arg("-f")
            .arg(&driver_path)
            .arg(generated())
            .arg(fake_ssc())
            .arg(&out_file)
            .arg(line)
            .env("HOME", &dir)
            .env("TERM", "dumb"));
        assert!(
            out.status.success(),
            "zsh driver: {}: {}",
            out.status,
            text(&out.stderr)
        );
        read(&out_file)
            .lines()
            .filter(|l| *l != "<done>")
            .map(str::to_string)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    for line in ["ssc -p ", "ssc --profile ", "ssc --isolation "] {
        assert_eq!(complete(line), NAMES, "{line:?}");
    }
    assert_eq!(complete("ssc --no-tty --profile=w"), ["web"]);
    assert_eq!(complete("ssc --list-pro"), ["--list-profiles"]);
}

#[test]
fn fish_completes_profile_names_from_the_installed_ssc() {
    if !have("fish") {
        return;
    }
    let home = scratch("fish-home");
    let complete = |line: &str| -> Vec<String> {
        let out = run(Command::new("fish")
            .arg("--no-config")
            .arg("-c")
            .arg("source $argv[1]; complete --do-complete=$argv[2]")
            .arg(generated().join("ssc.fish"))
            .arg(line)
            .env_clear()
            .env("PATH", path_with(fake_ssc()))
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &home)
            .env("XDG_DATA_HOME", &home));
        assert!(
            out.status.success(),
            "fish: {}: {}",
            out.status,
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "fish {line:?}");
        lines(&text(&out.stdout))
            .into_iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect()
    };
    for line in ["ssc -p ", "ssc --profile ", "ssc --isolation "] {
        assert_eq!(complete(line), NAMES, "{line:?}");
    }
    assert_eq!(complete("ssc --profile=s"), ["--profile=strict"]);
    assert_eq!(complete("ssc --no-t"), ["--no-tty"]);
}

/// --help, ssc(1) and the README give each of ssc's exit statuses the meaning that
/// ssc::error::EXIT_STATUSES gives it.
#[test]
fn exit_statuses_agree_everywhere() {
    let help = ssc::cli::command().render_help().to_string();
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let page = unroff(&read(&generated().join("ssc.1")))
        .replace("\\fB", "")
        .replace("\\fR", "");
    let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
    let readme = read(&repo().join("README.md"));
    for (code, meaning) in ssc::error::EXIT_STATUSES {
        let meaning = meaning.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            help.contains(&format!("{code} if {meaning}")),
            "--help, {code}: {help}"
        );
        assert!(
            page.contains(&format!("{code} {meaning}.")),
            "ssc(1), {code}: {page}"
        );
        assert!(
            readme.contains(&format!("**{code}** if {meaning}")),
            "README, {code}"
        );
    }
}

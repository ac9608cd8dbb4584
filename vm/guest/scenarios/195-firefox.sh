# shellcheck shell=bash
# The firefox example with the real Firefox ESR, headless: it renders a page, keeps its
# profile between runs, and cannot read ~/.ssh; and under the built-in strict, it renders. Each check looks at what Firefox drew
# (pixels of its screenshot) or wrote, and has a control that would make it fail.
# timeout: 2100

# A run took 20 to 115 s under TCG; a slow, loaded host must not fail the scenario, so
# the limit is generous and the times are only recorded.
FIREFOX_TIMEOUT=600
D=/etc/ssc/profiles.d
H=/home/alice
PAGES=/srv/ssc-195
MARKER=ssc.vm.kept
SECRET="ssh-secret-$RANDOM$RANDOM"
TOOLS=$SSC_SHARE/vm/guest/tools

check "firefox-esr is installed" command -v firefox-esr || return 0
echo "# $(firefox-esr --version 2>&1)"
mkdir -p $D && chmod 755 /etc/ssc $D
install -o root -g root -m 0644 "$SSC_SHARE/examples/firefox.conf" "$D/"

# The example's one-time step, word for word from its comment, and a secret beside it.
step=$(sed -n 's/^#   \(mkdir -p [^(]*[^ (]\) *(once, as the user)$/\1/p' $D/firefox.conf)
check_contains "the example's one-time step" "mkdir -p ~/" "$step" || return 0
echo "# $step"
check "the one-time step, as alice" as_user "$step"
as_user 'mkdir -p .ssh && chmod 700 .ssh && printf "%s\n" "$1" >.ssh/id_test && chmod 600 .ssh/id_test' "$SECRET"
check_contains "control: alice reads her key without ssc" "$SECRET" "$(as_user 'cat .ssh/id_test')"

# Pages of solid colours, so that a pixel says what Firefox drew: green above magenta;
# a red one, in ~/Downloads and in ~/.ssh; and green pages that frame one of the two in
# their middle. A frame, not the file itself: asked for a missing file, a headless
# screenshot never finishes (bookworm's 140esr waited out the 900 s).
page() { # FILE CSS [BODY]
    printf '<!DOCTYPE html><html><head><style>html,body{margin:0;height:100%%}%s</style></head><body>%s</body></html>\n' "$2" "${3:-}" >"$1"
}
framing() { # FILE URL
    page "$1" 'body{background:rgb(18,171,52)}
        iframe{position:fixed;left:25%;top:25%;width:50%;height:50%;border:0}' "<iframe src=\"$2\"></iframe>"
}
mkdir -p $PAGES && chmod 755 $PAGES
page $PAGES/page.html 'body{background:linear-gradient(rgb(18,171,52) 50%,rgb(200,30,90) 50%)}'
page $PAGES/red.html 'body{background:rgb(220,20,20)}'
framing $PAGES/frame-downloads.html "file://$H/Downloads/red.html"
framing $PAGES/frame-ssh.html "file://$H/.ssh/red.html"
chmod 644 $PAGES/*.html
as_user 'cp "$1" .ssh/red.html && cp "$1" Downloads/red.html' $PAGES/red.html

# firefox N URL [PROFILE]: a headless screenshot of URL into ~/Downloads/shot-N.png under
# the firefox profile (or PROFILE); records the time and keeps the output in firefox-N.log.
firefox() {
    local t0=$EPOCHREALTIME rc
    as_user 'rm -f Downloads/shot-$1.png
        timeout -k 30 "$3" ssc -p "$4" -- firefox-esr --headless \
            --screenshot "$HOME/Downloads/shot-$1.png" "$2"' "$1" "$2" "$FIREFOX_TIMEOUT" "${3:-firefox}" \
        >"/run/ssc-test/firefox-$1.log" 2>&1
    rc=$?
    printf '# firefox run %s (%s): exit %s after %.1f s\n' "$1" "$2" "$rc" \
        "$(echo "$EPOCHREALTIME - $t0" | awk '{print $1 - $3}')" | tee -a "$SSC_RESULTS/195-timings"
    cp "/run/ssc-test/firefox-$1.log" "$SSC_RESULTS/195-firefox-$1.log"
    [[ -f $H/Downloads/shot-$1.png ]] && cp "$H/Downloads/shot-$1.png" "$SSC_RESULTS/195-shot-$1.png"
    return "$rc"
}
# pixels N FX,FY...: "W H" then "R G B" for each point of screenshot N.
pixels() { local n=$1; shift; python3 "$TOOLS/png-pixel.py" "$H/Downloads/shot-$n.png" "$@" 2>&1; }
# near "R G B" "R G B": equal but for rounding.
near() {
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x); split(b, y)
        for (i = 1; i <= 3; i++) { d = x[i] - y[i]; if (d > 3 || d < -3) exit 1 } }'
}
check_colour() { # NAME EXPECTED ACTUAL
    if near "$2" "$3"; then pass "$1 ($3)"; else fail "$1" "expected about '$2', got '$3'"; fi
}
# profiles: the profile directories profiles.ini names, sorted.
profiles() { sed -n 's/^Path=//p' $H/.mozilla/firefox/profiles.ini 2>/dev/null | sort; }
mozilla_tree() { find $H/.mozilla -maxdepth 3 2>&1 | head -40; }
log_tail() { tail -n 30 "/run/ssc-test/firefox-$1.log"; }
cleanup() {
    rm -rf $PAGES "$D/firefox.conf" $H/.mozilla $H/.cache/mozilla $H/Downloads $H/.ssh
    rmdir $H/.cache 2>/dev/null || true
}

# ---- Run 1: a fresh profile; the page is drawn.
if firefox 1 "file://$PAGES/page.html"; then pass "run 1: firefox exits 0"; else
    fail "run 1: firefox exits 0" "$(log_tail 1)"; fi
if check "run 1: the screenshot exists" test -s $H/Downloads/shot-1.png; then
    check_eq "run 1: the screenshot is alice's" "alice" "$(stat -c %U $H/Downloads/shot-1.png)"
    mapfile -t px < <(pixels 1 0.5,0.25 0.5,0.75)
    echo "# screenshot 1 (size, upper, lower): ${px[*]}"
    check_colour "run 1: the upper half is the page's green" "18 171 52" "${px[1]:-}"
    check_colour "run 1: the lower half is the page's magenta" "200 30 90" "${px[2]:-}"
fi
check "run 1: a profile in ~/.mozilla/firefox (profiles.ini)" test -s $H/.mozilla/firefox/profiles.ini
first=$(profiles)
# Without a profile the other runs would prove nothing, and each could take the whole limit.
[[ -n $first ]] || { fail "run 1: profiles.ini names a profile" "$(mozilla_tree)"; cleanup; return 0; }
echo "# profiles after run 1: $(echo "$first" | tr '\n' ' ')"
written=0
for p in $first; do [[ -s $H/.mozilla/firefox/$p/prefs.js ]] && written=$((written + 1)); done
if ((written > 0)); then pass "run 1: firefox wrote prefs.js in its profile"; else
    fail "run 1: firefox wrote prefs.js in its profile" "$(mozilla_tree)"; fi

# ---- Run 2: the same profile. A pref left in each profile's user.js must come back in
# that profile's prefs.js, which only a Firefox that started from it writes there.
for p in $first; do
    as_user 'printf "user_pref(\"%s\", \"%s\");\n" "$1" "$2" >".mozilla/firefox/$2/user.js"' "$MARKER" "$p"
done
if firefox 2 "file://$PAGES/frame-downloads.html"; then pass "run 2: firefox exits 0"; else
    fail "run 2: firefox exits 0" "$(log_tail 2)"; fi
if check "run 2: the screenshot exists" test -s $H/Downloads/shot-2.png; then
    mapfile -t px < <(pixels 2 0.1,0.1 0.5,0.5)
    echo "# screenshot 2 (size, corner, centre): ${px[*]}"
    check_colour "run 2: the framing page is drawn" "18 171 52" "${px[1]:-}"
    check_colour "control: the frame shows ~/Downloads/red.html" "220 20 20" "${px[2]:-}"
fi
check_eq "run 2: no new profile" "$first" "$(profiles)"
kept=$(for p in $first; do
    grep -l "\"$MARKER\", \"$p\"" "$H/.mozilla/firefox/$p/prefs.js" 2>/dev/null
done)
if [[ -n $kept ]]; then pass "run 2: started from run 1's profile (${kept#"$H/"})"; else
    fail "run 2: started from run 1's profile" "no prefs.js has the user.js pref $MARKER"; fi

# ---- ~/.ssh is out of reach: for any command under the profile, and for Firefox.
out=$(as_user 'ssc -p firefox -- cat "$HOME/.ssh/id_test" 2>&1; echo "rc=$?"')
echo "# cat ~/.ssh/id_test under firefox: $(echo "$out" | tr '\n' ' ')"
if [[ $out != *rc=0 ]]; then pass "firefox profile: cat ~/.ssh/id_test fails (exit ${out##*rc=})"; else
    fail "firefox profile: cat ~/.ssh/id_test fails" "$out"; fi
if [[ $out != *"$SECRET"* ]]; then pass "firefox profile: nothing of the key is printed"; else
    fail "firefox profile: nothing of the key is printed" "$out"; fi
check_eq "firefox profile: the home holds only the binds" ".cache .mozilla Downloads" \
    "$(as_user 'ssc -p firefox -- ls -A "$HOME"' | tr '\n' ' ' | sed 's/ $//')"
# The same page, but framing ~/.ssh/red.html: the frame must not be red.
if firefox 3 "file://$PAGES/frame-ssh.html"; then pass "run 3: firefox exits 0"; else
    fail "run 3: firefox exits 0" "$(log_tail 3)"; fi
if check "run 3: the screenshot exists" test -s $H/Downloads/shot-3.png; then
    mapfile -t px < <(pixels 3 0.1,0.1 0.5,0.5)
    echo "# screenshot 3 (size, corner, centre): ${px[*]}"
    check_colour "run 3: the framing page is drawn" "18 171 52" "${px[1]:-}"
    if [[ -n ${px[2]:-} ]] && ! near "220 20 20" "${px[2]}"; then
        pass "firefox does not show ~/.ssh/red.html in the frame (${px[2]})"
    else
        fail "firefox does not show ~/.ssh/red.html in the frame" "centre: '${px[2]:-}'"
    fi
fi

# ---- The built-in strict, with its kernel-surface keys (the ProtectKernel* mounts and
# filters, LockPersonality, RestrictRealtime, RestrictSUIDSGID) and the terminal rule:
# Firefox still starts and draws.
if firefox 4 "file://$PAGES/page.html" strict; then pass "run 4 (strict): firefox exits 0"; else
    fail "run 4 (strict): firefox exits 0" "$(log_tail 4)"; fi
if check "run 4 (strict): the screenshot exists" test -s $H/Downloads/shot-4.png; then
    mapfile -t px < <(pixels 4 0.5,0.25 0.5,0.75)
    echo "# screenshot 4 (size, upper, lower): ${px[*]}"
    check_colour "run 4 (strict): the upper half is the page's green" "18 171 52" "${px[1]:-}"
    check_colour "run 4 (strict): the lower half is the page's magenta" "200 30 90" "${px[2]:-}"
fi
check "no ssc scope is left" wait_until 30 no_ssc_units

cleanup

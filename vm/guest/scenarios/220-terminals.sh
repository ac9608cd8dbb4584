# shellcheck shell=bash
# The README's terminal recipes: each command, run under script(1) as a terminal would,
# gives an interactive shell in its own ssc-relaxed scope with the tty intact.
# Keep this list in step with the README's "Terminals" table.

P=/usr/local/libexec/ssc-test
mkdir -p $P
cat >$P/terminal-probe <<'PROBE'
echo "cg=$(cut -d: -f3 /proc/self/cgroup)"
echo "tty=$(tty)"
echo "fg=$(ps -o pgid= -o tpgid= -p $$ | awk '{print ($1 == $2) ? "yes" : "no"}')"
case $- in *i*) echo "interactive=yes" ;; *) echo "interactive=no" ;; esac
exit
PROBE
chmod 644 $P/terminal-probe

has_line() { grep -Eq "$1" <<<"$2"; }

recipes=(
    "ssc -p relaxed"               # GNOME Terminal, Konsole, kitty, foot, WezTerm, Alacritty
    "ssc -p relaxed -- bash -i"    # a shell other than the login shell
)
for r in "${recipes[@]}"; do
    out=$(as_user "script -qec '$r' /dev/null <$P/terminal-probe" | tr -d '\r')
    check "'$r': the shell is in an ssc-relaxed scope" has_line \
        '^cg=/user.slice/user-1000.slice/ssc-relaxed-[0-9]+-[0-9a-f]{8}\.scope$' "$out"
    check_contains "'$r': the tty is intact" "tty=/dev/pts/" "$out"
    check_contains "'$r': the shell is the foreground job" "fg=yes" "$out"
    check_contains "'$r': the shell is interactive" "interactive=yes" "$out"
done

# The bash alias recipe: the aliased GUI app starts detached in a strict scope.
cat >$P/alias-recipe.bash <<'RECIPE'
shopt -s expand_aliases
alias demo='ssc --no-tty -p strict -- sh -c "cut -d: -f3 /proc/self/cgroup >$HOME/alias.out"'
demo
RECIPE
chmod 644 $P/alias-recipe.bash
out=$(as_user "rm -f \$HOME/alias.out; bash $P/alias-recipe.bash; sleep 2; cat \$HOME/alias.out")
check "bash alias recipe: the app lands in an ssc-strict scope" has_line \
    '^/user.slice/user-1000.slice/ssc-strict-[0-9]+-[0-9a-f]{8}\.scope$' "$out"

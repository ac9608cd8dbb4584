# shellcheck shell=bash
# strict sets NoNewPrivs, so sudo cannot gain root; relaxed leaves sudo working.

check_eq "strict: NoNewPrivs is set" 1 \
    "$(as_user 'ssc -p strict -- awk "/^NoNewPrivs:/ {print \$2}" /proc/self/status')"
check_eq "relaxed: NoNewPrivs is not set" 0 \
    "$(as_user 'ssc -p relaxed -- awk "/^NoNewPrivs:/ {print \$2}" /proc/self/status')"
out=$(as_user 'ssc -p strict -- sudo -n id -u 2>&1; echo "rc=$?"')
check "strict: sudo is refused" sh -c "printf '%s' '$out' | grep -q 'rc=[1-9]' && ! printf '%s' '$out' | grep -qx 0"
check_eq "relaxed: sudo works" 0 "$(as_user 'ssc -p relaxed -- sudo -n id -u')"

#!/bin/sh
# soak.sh: many clients x many parallel sessions at once, with plain and
# window limits, bans, strict and dry-run rules, against an independent
# model of the expected outcome: no lost and no extra count, exactly the
# expected notifications (none twice). Same style as rts.sh; last line
# "N passed, M failed".
#
#   make tests && sh tests/soak.sh          (SOAK_ROUNDS, default 5)
#
# With the harness of every runner (tests/rts-lib.sh); RTS_BUILD,
# RTS_HELPER... as there.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs
ROUNDS=${SOAK_ROUNDS:-5}
K=40			# attempts per client, all at once
T=$TMPBASE/soak
mkdir "$T" || exit 2

# the model: client, rule line, accepted of K, events expected
# (the rules are written so that the model is simple arithmetic)
cat > "$T/model" <<'MEOF'
p1@x.com	p1@x.com:20	20	over
w1@x.com	w1@x.com:15/1h	15	over
w2@x.com	w2@x.com:25/1d,10/1h	10	over
b1@x.com	b1@x.com:12/1h:ban	12	ban
b2@x.com	b2@x.com:8:ban=2x	8	ban,over
s1@x.com	s1@x.com:10/1h:strict	10	over
d1@x.com	d1@x.com:5/1h:dryrun	40	over
u1@pool.example	@pool.example:7/1h:warn=50%	7	over,warn
u2@pool.example	-	7	over,warn
o1@y.com	:30/1h	30	over
o2@y.com	-	30	over
big@x.com	big@x.com:1000/1h	40	-
MEOF
cut -f2 "$T/model" | grep -v '^-$' > "$T/limits"
"$CDBMAKE" "$T/l.cdb" "$T/l.tmp" < "$T/limits" || exit 2
cat > "$T/notify" <<NEOF
#!/bin/sh
echo "\$OVERLIMIT_CLIENT \$OVERLIMIT_EVENT" > "$T/n/\$\$.\$(date +%s%N)"
NEOF
chmod 755 "$T/notify"

r=1
while [ "$r" -le "$ROUNDS" ]; do
    rm -rf "$T/ol" "$T/n" "$T/out"
    mkdir "$T/ol" "$T/n" "$T/out"
    # every client's K sessions at once, all clients together; the round
    # is over when every helper and notification program has ended
    # (waitall), so the notifications are counted without waiting
    # shellcheck disable=SC2086 # $WAIT: words
    (
        while IFS='	' read -r client rule acc ev; do
            env -i USE_FD4=1 RELAYCLIENT= SMTPAUTHUSER="$client" \
                OVERLIMIT_DIR="$T/ol" OVERLIMIT_CDB="$T/l.cdb" \
                OVERLIMIT_NOTIFY="$T/notify" $WAIT "$CONCURRENT" "$K" "$HELPER" \
                > "$T/out/$client" &
        done < "$T/model"
        wait
    ) 2> "$T/err"
    check "round$r.nothing.left" "" "$(grep '^waitall: ' "$T/err")"
    bad=0 tot=0
    while IFS='	' read -r client rule acc ev; do
        exp="112=$acc 113=$((K - acc)) other=0"
        got=$(cat "$T/out/$client")
        check "round$r.$client.verdicts" "$exp" "$got"
        got=$(cat "$T/n"/* 2>/dev/null | awk -v c="$client" '$1 == c { print $2 }' | sort | paste -sd, -)
        check "round$r.$client.events" "$([ "$ev" = - ] && echo || echo "$ev")" "$got"
        tot=$((tot + acc))
    done < "$T/model"
    got=$(env -i OVERLIMIT_DIR="$T/ol" OVERLIMIT_CDB="$T/l.cdb" "$OLCTL" -o tsv list |
        awk -F '\t' 'NR > 1 { s += $5 } END { print s + 0 }')
    check "round$r.store.total" "$tot" "$got"
    got=$(env -i OVERLIMIT_DIR="$T/ol" OVERLIMIT_CDB="$T/l.cdb" "$OLCTL" -o tsv list banned |
        sed 1d | cut -f1 | sort | paste -sd, -)
    check "round$r.store.banned" "b1@x.com,b2@x.com" "$got"
    r=$((r + 1))
done
finish

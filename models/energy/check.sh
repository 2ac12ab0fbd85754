#!/usr/bin/env bash
# Self-check of the OG-CLEWS energy model (models/energy).
#
#   models/energy/check.sh            # exit 0 = all checks passed
#   KEEP=1 models/energy/check.sh     # keep the temporary results folder
#
# 1. demo/data.dat and demo/carbon_price.dat are what demo/generate_data.py writes;
# 2. the demo solves to optimality without and with the carbon price, and
#    every expected result CSV exists with the expected header and rows;
#    the CSV costs add up to the objective; the carbon price raises cost and
#    lowers emissions;
# 3. demand +3 %: re-solving the model with scaled data and rescaling the
#    right-hand sides of the EnergyBalance rows in the generated LP (update_demand.py)
#    give the same optimum, and the cost rises plausibly.
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GLPSOL="${GLPSOL:-glpsol}"
PY="${PYTHON:-python3}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/energy-check.XXXXXX")"
if [ "${KEEP:-0}" = "1" ]; then echo "results kept in $TMP"; else trap 'rm -rf "$TMP"' EXIT; fi

FAILS=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; FAILS=$((FAILS + 1)); }

command -v "$GLPSOL" >/dev/null || { echo "FAIL  glpsol not found"; exit 1; }
cd "$HERE"

# ---------------------------------------------------------------- 1. data
"$PY" demo/generate_data.py --out "$TMP/data.dat" --carbon-out "$TMP/carbon_price.dat"
if cmp -s "$TMP/data.dat" demo/data.dat && cmp -s "$TMP/carbon_price.dat" demo/carbon_price.dat; then
    pass "demo data files are up to date with demo/generate_data.py"
else
    fail "demo/*.dat differ from demo/generate_data.py output (rerun the generator)"
fi

# ------------------------------------------------------- 2. solve + tables
# name|header of every results table
EXPECTED='
NewCapacity|REGION,TECHNOLOGY,YEAR,VALUE
AccumulatedNewCapacity|REGION,TECHNOLOGY,YEAR,VALUE
TotalCapacityAnnual|REGION,TECHNOLOGY,YEAR,VALUE
RateOfActivity|REGION,TIMESLICE,TECHNOLOGY,MODE_OF_OPERATION,YEAR,VALUE
TotalTechnologyAnnualActivity|REGION,TECHNOLOGY,YEAR,VALUE
ProductionByTechnology|REGION,TIMESLICE,TECHNOLOGY,FUEL,YEAR,VALUE
ProductionByTechnologyAnnual|REGION,TECHNOLOGY,FUEL,YEAR,VALUE
UseByTechnology|REGION,TIMESLICE,TECHNOLOGY,FUEL,YEAR,VALUE
Demand|REGION,TIMESLICE,FUEL,YEAR,VALUE
CapitalInvestment|REGION,TECHNOLOGY,YEAR,VALUE
AnnualFixedOperatingCost|REGION,TECHNOLOGY,YEAR,VALUE
AnnualVariableOperatingCost|REGION,TECHNOLOGY,YEAR,VALUE
AnnualTechnologyEmission|REGION,TECHNOLOGY,EMISSION,YEAR,VALUE
AnnualTechnologyEmissionsPenalty|REGION,TECHNOLOGY,YEAR,VALUE
AnnualEmissions|REGION,EMISSION,YEAR,VALUE
SalvageValue|REGION,TECHNOLOGY,YEAR,VALUE
DiscountedSalvageValue|REGION,TECHNOLOGY,YEAR,VALUE
TotalDiscountedCost|REGION,YEAR,VALUE
AnnualFuelImport|REGION,TECHNOLOGY,FUEL,YEAR,VALUE
AnnualFuelImportCost|REGION,TECHNOLOGY,FUEL,YEAR,VALUE
CommodityMarginalCost|REGION,TIMESLICE,FUEL,YEAR,VALUE
'

now() { date +%s.%N; }

# solve_model <scenario> <data files...>: results in $TMP/<scenario>/, log in $TMP/<scenario>.log
solve_model() {
    local name="$1"; shift
    local dats=()
    OBJ=""; SOLVE_SECONDS="n/a"
    for d in "$@"; do dats+=(-d "$d"); done
    mkdir -p "$TMP/$name"
    printf 'data;\nparam ResultsPath := "%s";\nend;\n' "$TMP/$name" > "$TMP/$name.path.dat"
    local t0 t1
    t0=$(now)
    "$GLPSOL" -m model.mod "${dats[@]}" -d "$TMP/$name.path.dat" > "$TMP/$name.log" 2>&1
    local rc=$?
    t1=$(now)
    SOLVE_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
    if [ $rc -ne 0 ] || ! grep -q "^OPTIMAL LP SOLUTION FOUND" "$TMP/$name.log" \
         || grep -qi "error" "$TMP/$name.log"; then
        fail "$name: glpsol did not finish with an optimal solution (see log below)"
        tail -20 "$TMP/$name.log"
        return 1
    fi
    OBJ=$(sed -n 's/^OGCLEWS-ENERGY objective TotalDiscountedCost = \([-0-9.e+]*\) M\$.*/\1/p' "$TMP/$name.log")
    local size
    size=$(grep -m1 " rows, .* columns, .* non-zeros" "$TMP/$name.log" | sed 's/^ *//')
    pass "$name: optimal in ${SOLVE_SECONDS}s, objective $OBJ M\$ ($size)"
    return 0
}

# check_tables <scenario>
check_tables() {
    local dir="$TMP/$1" bad=0 name header
    while IFS='|' read -r name header; do
        [ -z "$name" ] && continue
        if [ ! -s "$dir/$name.csv" ]; then
            fail "$1: $name.csv missing or empty"; bad=1; continue
        fi
        if [ "$(head -1 "$dir/$name.csv" | tr -d '\r')" != "$header" ]; then
            fail "$1: $name.csv header is '$(head -1 "$dir/$name.csv")', expected '$header'"; bad=1
        fi
        if [ "$(wc -l < "$dir/$name.csv")" -lt 2 ]; then
            fail "$1: $name.csv has no data rows"; bad=1
        fi
    done <<< "$EXPECTED"
    [ $bad -eq 0 ] && pass "$1: all $(grep -c '|' <<< "$EXPECTED") result tables present with the expected headers"
    # costs in the CSVs add up to the objective
    "$PY" - "$dir" "$OBJ" <<'EOF' && pass "$1: sum of TotalDiscountedCost.csv equals the objective" || fail "$1: TotalDiscountedCost.csv does not add up to the objective"
import csv, sys
d, obj = sys.argv[1], float(sys.argv[2])
tot = sum(float(r["VALUE"]) for r in csv.DictReader(open(d + "/TotalDiscountedCost.csv")))
sys.exit(0 if abs(tot - obj) <= 1e-6 * abs(obj) + 1e-3 else 1)
EOF
}

emissions() {  # total of AnnualEmissions.csv
    "$PY" -c 'import csv,sys; print("%.2f" % sum(float(r["VALUE"]) for r in csv.DictReader(open(sys.argv[1]))))' "$1/AnnualEmissions.csv"
}

solve_model base demo/data.dat && check_tables base
OBJ_BASE="${OBJ:-nan}"; T_BASE="$SOLVE_SECONDS"
solve_model carbon demo/data.dat demo/carbon_price.dat && check_tables carbon
OBJ_CARBON="${OBJ:-nan}"; T_CARBON="$SOLVE_SECONDS"

if [ -s "$TMP/base/AnnualEmissions.csv" ] && [ -s "$TMP/carbon/AnnualEmissions.csv" ]; then
    E_BASE=$(emissions "$TMP/base"); E_CARBON=$(emissions "$TMP/carbon")
    if awk -v a="$OBJ_BASE" -v b="$OBJ_CARBON" -v ea="$E_BASE" -v eb="$E_CARBON" \
           'BEGIN{exit !(b > a && eb < ea)}'; then
        pass "carbon price raises cost ($OBJ_BASE -> $OBJ_CARBON M\$) and cuts CO2 ($E_BASE -> $E_CARBON Mt, 2025-2050)"
    else
        fail "carbon price should raise cost and cut emissions (cost $OBJ_BASE -> $OBJ_CARBON, CO2 $E_BASE -> $E_CARBON)"
    fi
fi

# ------------------------------------------------ 3. demand +3 % via the RHS
"$PY" demo/generate_data.py --demand-scale 1.03 --out "$TMP/data_demand103.dat" --no-carbon
solve_model demand103 "$TMP/data_demand103.dat"
OBJ_103="${OBJ:-nan}"

"$GLPSOL" -m model.mod -d demo/data.dat --check --wfreemps "$TMP/base.mps" > "$TMP/mps.log" 2>&1
CONST=$(sed -n 's/^OGCLEWS-ENERGY objective constant (not in LP\/MPS files) = \([-0-9.e+]*\) M\$.*/\1/p' "$TMP/mps.log")
"$PY" update_demand.py "$TMP/base.mps" "$TMP/demand103.mps" --scale 1.03 > "$TMP/update.log" \
    || fail "update_demand.py failed: $(cat "$TMP/update.log")"
"$GLPSOL" --freemps "$TMP/demand103.mps" -w "$TMP/demand103.txt" > "$TMP/mps_solve.log" 2>&1
# -w writes the solution in GLPK's plain format: line 's bas m n status dual objective'
OBJ_RHS=$(awk '$1=="s" && $2=="bas" {print $NF; exit}' "$TMP/demand103.txt" 2>/dev/null)
if grep -q "^OPTIMAL LP SOLUTION FOUND" "$TMP/mps_solve.log" && [ -n "$OBJ_RHS" ] && [ -n "$CONST" ]; then
    if awk -v a="$OBJ_103" -v b="$OBJ_RHS" -v c="$CONST" -v o="$OBJ_BASE" '
         BEGIN { t = b + c; rel = (t - a) / a; inc = (a - o) / o;
                 printf "      data x1.03: %.4f   RHS x1.03: %.4f + constant %.4f = %.4f   (diff %.1e, cost +%.2f%%)\n",
                        a, b, c, t, rel, 100 * inc;
                 exit !(rel < 1e-7 && rel > -1e-7 && inc > 0.01 && inc < 0.06) }'; then
        pass "demand +3% through the EnergyBalance RHS ($(cat "$TMP/update.log" | sed 's/.*: //')) matches the re-generated model"
    else
        fail "demand +3% via RHS and via data disagree, or cost change implausible"
    fi
else
    fail "could not solve the RHS-updated MPS file (see $TMP/mps_solve.log)"
fi

echo
echo "solve times: base ${T_BASE}s, carbon ${T_CARBON}s; objectives: base $OBJ_BASE, carbon $OBJ_CARBON, demand+3% $OBJ_103 M\$"
if [ $FAILS -ne 0 ]; then echo "$FAILS check(s) FAILED"; exit 1; fi
echo "all checks passed"

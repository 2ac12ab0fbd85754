#!/usr/bin/env python3
"""Change final demand in a generated energy LP by rewriting the right-hand
sides of its EnergyBalance rows (reference implementation of the demand-update
rule in README.md; standard library only).

The LP is a free-MPS file written by GLPK from model.mod, e.g.

    glpsol -m model.mod -d demo/data.dat --check --wfreemps base.mps

Row EnergyBalance[r,f,l,y] reads  production - use >= Demand[r,f,l,y],
with Demand = SpecifiedAnnualDemand[r,f,y] * SpecifiedDemandProfile[r,f,l,y]
(PJ in time slice l), so updating demand means setting the row's RHS.

    # scale every final demand by 3 %
    python3 update_demand.py base.mps new.mps --scale 1.03
    # scale only electricity
    python3 update_demand.py base.mps new.mps --scale 1.03 --fuel ELC
    # set new values, CSV in the Demand.csv layout REGION,TIMESLICE,FUEL,YEAR,VALUE
    python3 update_demand.py base.mps new.mps --demand-csv new_demand.csv

    glpsol --freemps new.mps -o new.sol

Note: GLPK's MPS file omits the objective's constant term (the model prints it
as "objective constant"); add it to the objective of the modified LP.
"""
import argparse
import csv
import sys

ROW = "EnergyBalance"
SECTIONS = ("NAME", "ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS", "ENDATA")


def balance_key(name):
    """'EnergyBalance[R,F,L,Y]' -> (R, F, L, Y), else None."""
    if not (name.startswith(ROW + "[") and name.endswith("]")):
        return None
    parts = name[len(ROW) + 1:-1].split(",")
    return tuple(parts) if len(parts) == 4 else None


def read_mps(path):
    """Return (lines_before_rhs, rhs_name, rhs dict, lines_after_rhs, row types)."""
    with open(path) as fh:
        lines = fh.read().splitlines()
    head, tail, rhs, rows = [], [], {}, {}
    rhs_name = "RHS1"
    section = None
    for line in lines:
        tok = line.split()
        if line and not line[0].isspace() and not line.startswith("*"):
            section = tok[0]
            if section not in SECTIONS:
                sys.exit("unexpected MPS section %r in %s" % (section, path))
            if section == "RHS":
                continue
            (tail if section in ("RANGES", "BOUNDS", "ENDATA") else head).append(line)
            continue
        if section == "RHS":
            if not tok:
                continue
            # free MPS: [set name] (row value)+ ; GLPK always writes the set name
            if len(tok) % 2 == 1:
                rhs_name, tok = tok[0], tok[1:]
            for i in range(0, len(tok), 2):
                rhs[tok[i]] = float(tok[i + 1])
            continue
        if section == "ROWS" and len(tok) == 2:
            rows[tok[1]] = tok[0]
        (tail if section in ("RANGES", "BOUNDS", "ENDATA") else head).append(line)
    return head, rhs_name, rhs, tail, rows


def write_mps(path, head, rhs_name, rhs, tail):
    with open(path, "w") as fh:
        for line in head:
            fh.write(line + "\n")
        fh.write("RHS\n")
        for name, value in rhs.items():
            if value != 0.0:
                fh.write(" %s %s %s\n" % (rhs_name, name, repr(float(value))))
        for line in tail:
            fh.write(line + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mps_in")
    ap.add_argument("mps_out")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--scale", type=float, help="multiply the current demand RHS by this factor")
    g.add_argument("--demand-csv", help="CSV with REGION,TIMESLICE,FUEL,YEAR,VALUE (PJ)")
    ap.add_argument("--fuel", action="append", help="restrict --scale to this fuel (repeatable)")
    a = ap.parse_args()

    head, rhs_name, rhs, tail, rows = read_mps(a.mps_in)
    balance = {balance_key(n): n for n in rows if balance_key(n)}
    if not balance:
        sys.exit("no %s rows in %s" % (ROW, a.mps_in))
    bad = [n for n in balance.values() if rows[n] != "G"]
    if bad:
        sys.exit("%s rows must be '>=' (G) rows: %s" % (ROW, bad[:3]))

    changed = 0
    if a.scale is not None:
        for (r, f, l, y), name in balance.items():
            if a.fuel and f not in a.fuel:
                continue
            if rhs.get(name, 0.0) != 0.0:
                rhs[name] = rhs[name] * a.scale
                changed += 1
    else:
        with open(a.demand_csv, newline="") as fh:
            for rec in csv.DictReader(fh):
                key = (rec["REGION"], rec["FUEL"], rec["TIMESLICE"], rec["YEAR"])
                if key not in balance:
                    sys.exit("no row %s[%s]" % (ROW, ",".join(key)))
                rhs[balance[key]] = float(rec["VALUE"])
                changed += 1

    write_mps(a.mps_out, head, rhs_name, rhs, tail)
    print("%s: %d of %d EnergyBalance rows updated" % (a.mps_out, changed, len(balance)))


if __name__ == "__main__":
    main()

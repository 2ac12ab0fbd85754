#!/usr/bin/env python3
"""Write the data files of the invented country "Atlantis" for model.mod.

    python3 generate_data.py                     # writes data.dat and carbon_price.dat
    python3 generate_data.py --demand-scale 1.03 --out /tmp/data_103.dat --no-carbon

All numbers live in this file; data.dat and carbon_price.dat are its output
(regenerate them after editing).  Units: PJ, GW (plants, boilers),
PJ/yr (imports, biomass supply, vehicle fleets), M$ (real), Mt CO2.
"""
import argparse

R = "ATLANTIS"
YEARS = list(range(2025, 2051))
Y0, Y1 = YEARS[0], YEARS[-1]
SLICES = ["SD", "SN", "WD", "WN"]      # summer/winter x day/night
YEARSPLIT = {"SD": 0.25, "SN": 0.25, "WD": 0.25, "WN": 0.25}
GW = 31.536                            # PJ per GW-year


def lin(a, b, y0=Y0, y1=Y1):
    """Linear path from a in y0 to b in y1, flat outside."""
    def f(y):
        if y <= y0:
            return a
        if y >= y1:
            return b
        return a + (b - a) * (y - y0) / (y1 - y0)
    return f


def const(a):
    return lambda y: a


def path(*points):
    """Piecewise-linear path through (year, value) points."""
    pts = sorted(points)
    def f(y):
        if y <= pts[0][0]:
            return pts[0][1]
        for (ya, va), (yb, vb) in zip(pts, pts[1:]):
            if y <= yb:
                return va + (vb - va) * (y - ya) / (yb - ya)
        return pts[-1][1]
    return f


# ----------------------------------------------------------------- fuels
FUELS = {
    "COA": "coal",
    "GAS": "natural gas",
    "OIL": "oil products",
    "BIO": "solid biomass (domestic)",
    "ELG": "electricity at the power-plant busbar",
    "ELC": "electricity delivered to final users (final demand)",
    "IHT": "industrial process heat (final demand)",
    "TRA": "transport service, PJ of ICE-fuel equivalent (final demand)",
}

# Mt CO2 per PJ of fuel burned
CO2 = {"COA": 0.0946, "GAS": 0.0561, "OIL": 0.0733, "BIO": 0.0}

# final demands: 2025 level (PJ) and annual growth
DEMAND = {"ELC": (110.0, 0.025), "IHT": (90.0, 0.015), "TRA": (130.0, 0.020)}
PROFILE = {
    "ELC": {"SD": 0.26, "SN": 0.21, "WD": 0.29, "WN": 0.24},
    "IHT": {"SD": 0.27, "SN": 0.23, "WD": 0.27, "WN": 0.23},
    "TRA": {"SD": 0.30, "SN": 0.20, "WD": 0.30, "WN": 0.20},
}

# ----------------------------------------------------------- technologies
# in: {fuel: input per unit of activity}, out: {fuel: output per unit}
# capital M$/cap unit, fixed M$/cap unit/yr, var M$/PJ of activity
T = {}


def tech(name, desc, out, inp=None, c2a=GW, life=30, capital=const(0), fixed=const(0),
         var=const(0), residual=const(0), cf=None, af=1.0, maxcap=None, maxinv=None,
         actmax=None, rm_tag=0.0, imported=False):
    T[name] = dict(desc=desc, out=out, inp=inp or {}, c2a=c2a, life=life, capital=capital,
                   fixed=fixed, var=var, residual=residual, cf=cf, af=af, maxcap=maxcap,
                   maxinv=maxinv, actmax=actmax, rm_tag=rm_tag, imported=imported)


# supply: capacity in PJ/yr, large residual capacity = no capacity constraint
tech("IMPCOA", "coal imports", {"COA": 1}, c2a=1, life=1, residual=const(1000),
     var=lin(4.0, 4.5), imported=True)
tech("IMPGAS", "natural gas imports (pipeline + LNG)", {"GAS": 1}, c2a=1, life=1,
     residual=const(1000), var=lin(6.0, 7.0), imported=True)
tech("IMPOIL", "oil product imports", {"OIL": 1}, c2a=1, life=1, residual=const(1000),
     var=lin(15.0, 16.0), imported=True)
tech("BIOSUP", "domestic biomass supply (residues, energy crops)", {"BIO": 1}, c2a=1, life=1,
     residual=const(1000), var=const(5.0), actmax=lin(35.0, 60.0))

# power plants (GW)
tech("PWRCOA", "coal power plant (subcritical/supercritical)", {"ELG": 1}, {"COA": 1 / 0.38},
     life=40, capital=const(2100), fixed=const(55), var=const(1.2),
     residual=path((2025, 2.0), (2045, 0.0)), af=0.85, rm_tag=1.0)
tech("PWRGAS", "combined-cycle gas turbine", {"ELG": 1}, {"GAS": 1 / 0.55},
     life=30, capital=const(950), fixed=const(25), var=const(1.0),
     residual=path((2025, 1.5), (2035, 1.5), (2050, 0.0)), af=0.90, rm_tag=1.0)
tech("PWROIL", "oil-fired plant (diesel engines, peakers)", {"ELG": 1}, {"OIL": 1 / 0.35},
     life=30, capital=const(1000), fixed=const(30), var=const(2.0),
     residual=path((2025, 0.5), (2035, 0.0)), af=0.90, rm_tag=1.0)
tech("PWRHYD", "hydropower (reservoir)", {"ELG": 1},
     life=80, capital=const(3000), fixed=const(45), residual=const(1.2),
     cf={"SD": 0.50, "SN": 0.50, "WD": 0.35, "WN": 0.35}, maxcap=const(2.0), rm_tag=0.5)
tech("PWRSOL", "utility-scale solar PV", {"ELG": 1},
     life=25, capital=lin(850, 450), fixed=const(15), residual=const(0.2),
     cf={"SD": 0.38, "SN": 0.0, "WD": 0.24, "WN": 0.0},
     maxcap=const(15.0), maxinv=lin(0.6, 1.5), rm_tag=0.0)
tech("PWRWND", "onshore wind", {"ELG": 1},
     life=25, capital=lin(1350, 1000), fixed=const(35), residual=const(0.3),
     cf={"SD": 0.22, "SN": 0.28, "WD": 0.38, "WN": 0.42},
     maxcap=const(8.0), maxinv=lin(0.4, 0.8), rm_tag=0.1)
tech("PWRBIO", "biomass power plant", {"ELG": 1}, {"BIO": 1 / 0.30},
     life=30, capital=const(2600), fixed=const(80), var=const(2.5), af=0.85, rm_tag=1.0)

# grid (GW)
tech("ELCTND", "electricity transmission and distribution (8% losses)", {"ELC": 1},
     {"ELG": 1.08}, life=40, capital=const(400), fixed=const(8),
     residual=path((2025, 5.0), (2050, 2.5)))

# industrial heat (GW thermal)
tech("IHTCOA", "coal-fired industrial boiler", {"IHT": 1}, {"COA": 1 / 0.82},
     life=30, capital=const(300), fixed=const(10), residual=path((2025, 1.5), (2045, 0.0)),
     af=0.90)
tech("IHTGAS", "gas-fired industrial boiler", {"IHT": 1}, {"GAS": 1 / 0.92},
     life=25, capital=const(150), fixed=const(5), residual=path((2025, 1.2), (2045, 0.0)),
     af=0.90)
tech("IHTBIO", "biomass industrial boiler", {"IHT": 1}, {"BIO": 1 / 0.80},
     life=25, capital=const(450), fixed=const(15), residual=path((2025, 0.3), (2040, 0.0)),
     af=0.90)
tech("IHTELC", "industrial heat pumps and electric boilers (average COP 2)", {"IHT": 1},
     {"ELC": 0.5}, life=25, capital=const(700), fixed=const(14),
     residual=const(0.05), af=0.90, maxcap=lin(0.3, 1.5))

# transport (capacity = PJ/yr of transport service; ~30 000 cars per PJ/yr)
tech("TRAOIL", "internal-combustion vehicle fleet", {"TRA": 1}, {"OIL": 1.0},
     c2a=1, life=15, capital=const(760), fixed=const(25),
     residual=path((2025, 160.0), (2040, 0.0)))
tech("TRAELC", "battery-electric vehicle fleet", {"TRA": 1}, {"ELC": 0.30},
     c2a=1, life=15, capital=path((2025, 1060.0), (2035, 780.0), (2050, 740.0)), fixed=const(18),
     residual=const(1.0), maxinv=path((2025, 5.0), (2035, 25.0), (2050, 30.0)))


# ------------------------------------------------------------------ writer
def fmt(v):
    s = "%.10g" % v
    return "0" if s == "-0" else s


def year_table(name, default, rows, key_prefix, note=None):
    """One param statement: `[key_prefix]: years :=` then one line per (label, f(year))."""
    return param_blocks(name, default, [(key_prefix, rows)], note)


def param_blocks(name, default, blocks, note=None):
    """One param statement made of several `[slice]: years := rows` blocks."""
    out = []
    if note:
        out.append("# " + note)
    out.append("param %s :=" % name)
    for key_prefix, rows in blocks:
        head = "[%s]: " % key_prefix if key_prefix else ": "
        out.append("%s%s :=" % (head, " ".join(str(y) for y in YEARS)))
        for label, f in rows:
            out.append("  %-8s %s" % (label, " ".join(fmt(f(y)) for y in YEARS)))
    out.append(";")
    return "\n".join(out) + "\n"


def write_data(path, demand_scale=1.0):
    L = []
    w = L.append
    w("# Atlantis demo data for models/energy/model.mod -- generated by demo/generate_data.py\n"
      "# Units: PJ, GW (plants, boilers, grid), PJ/yr (imports, biomass, vehicles),\n"
      "# M$ (real), Mt CO2.  Do not edit by hand: edit generate_data.py and rerun it.\n")
    if demand_scale != 1.0:
        w("# NOTE: SpecifiedAnnualDemand scaled by %g\n" % demand_scale)
    w("data;\n")
    w("set REGION := %s;" % R)
    w("set YEAR := %s;" % " ".join(map(str, YEARS)))
    w("set TIMESLICE := %s;" % " ".join(SLICES))
    w("set MODE_OF_OPERATION := 1;")
    w("set EMISSION := CO2;")
    w("set FUEL := %s;" % " ".join(FUELS))
    for f, d in FUELS.items():
        w("#   %-4s %s" % (f, d))
    w("set TECHNOLOGY := %s;" % " ".join(T))
    for t, d in T.items():
        w("#   %-7s %s" % (t, d["desc"]))
    w("set IMPORT_TECHNOLOGY := %s;\n" % " ".join(t for t, d in T.items() if d["imported"]))

    w("param DiscountRate := %s 0.07;" % R)
    w("param DepreciationMethod := %s 1;\n" % R)
    w("param YearSplit : %s :=" % " ".join(map(str, YEARS)))
    for l in SLICES:
        w("  %-3s %s" % (l, " ".join(fmt(YEARSPLIT[l]) for _ in YEARS)))
    w(";\n")

    # demand
    w(year_table("SpecifiedAnnualDemand", 0,
                 [(f, (lambda y, b=b, g=g: demand_scale * b * (1 + g) ** (y - Y0)))
                  for f, (b, g) in DEMAND.items()], "%s,*,*" % R, "PJ/yr"))
    w(param_blocks("SpecifiedDemandProfile", 0,
                   [("%s,%s,*,*" % (R, f), [(l, const(PROFILE[f][l])) for l in SLICES])
                    for f in DEMAND], "share of the annual demand in each time slice"))

    w("param CapacityToActivityUnit :=")
    for t, d in T.items():
        w("  %s %-7s %s" % (R, t, fmt(d["c2a"])))
    w(";\n")
    w("param OperationalLife :=")
    for t, d in T.items():
        w("  %s %-7s %d" % (R, t, d["life"]))
    w(";\n")

    # activity ratios: one slice per technology
    for pname, key in (("InputActivityRatio", "inp"), ("OutputActivityRatio", "out")):
        w("param %s :=" % pname)
        for t, d in T.items():
            if not d[key]:
                continue
            w("[%s,%s,*,1,*]: %s :=" % (R, t, " ".join(map(str, YEARS))))
            for f, v in d[key].items():
                w("  %-4s %s" % (f, " ".join(fmt(v) for _ in YEARS)))
        w(";\n")

    w("param EmissionActivityRatio :=")
    for t, d in T.items():
        ear = sum(v * CO2.get(f, 0.0) for f, v in d["inp"].items())
        if ear > 0:
            w("[%s,%s,*,1,*]: %s :=" % (R, t, " ".join(map(str, YEARS))))
            w("  CO2  %s" % " ".join(fmt(ear) for _ in YEARS))
    w(";\n")

    w(year_table("CapitalCost", 0, [(t, d["capital"]) for t, d in T.items()
                                    if any(d["capital"](y) for y in YEARS)],
                 "%s,*,*" % R, "M$ per GW (plants, boilers, grid) or per PJ/yr (vehicles)"))
    w(year_table("FixedCost", 0, [(t, d["fixed"]) for t, d in T.items()
                                  if any(d["fixed"](y) for y in YEARS)],
                 "%s,*,*" % R, "M$ per capacity unit per year"))
    w("# M$/PJ of activity (= $/GJ); for import technologies this is the import price")
    w("param VariableCost :=")
    w("[%s,*,1,*]: %s :=" % (R, " ".join(map(str, YEARS))))
    for t, d in T.items():
        if any(d["var"](y) for y in YEARS):
            w("  %-8s %s" % (t, " ".join(fmt(d["var"](y)) for y in YEARS)))
    w(";\n")
    w(year_table("ResidualCapacity", 0, [(t, d["residual"]) for t, d in T.items()
                                         if any(d["residual"](y) for y in YEARS)],
                 "%s,*,*" % R))
    w(year_table("AvailabilityFactor", 1, [(t, const(d["af"])) for t, d in T.items()
                                           if d["af"] != 1.0], "%s,*,*" % R))
    w("param CapacityFactor :=")
    for t, d in T.items():
        if d["cf"]:
            w("[%s,%s,*,*]: %s :=" % (R, t, " ".join(map(str, YEARS))))
            for l in SLICES:
                w("  %-3s %s" % (l, " ".join(fmt(d["cf"][l]) for _ in YEARS)))
    w(";\n")
    w(year_table("TotalAnnualMaxCapacity", -1, [(t, d["maxcap"]) for t, d in T.items()
                                                if d["maxcap"]], "%s,*,*" % R))
    w(year_table("TotalAnnualMaxCapacityInvestment", -1,
                 [(t, d["maxinv"]) for t, d in T.items() if d["maxinv"]], "%s,*,*" % R))
    w(year_table("TotalTechnologyAnnualActivityUpperLimit", -1,
                 [(t, d["actmax"]) for t, d in T.items() if d["actmax"]], "%s,*,*" % R, "PJ/yr"))

    w("# electricity reserve margin: firm capacity >= 1.15 x ELG production rate in every slice")
    w(year_table("ReserveMargin", 0, [(R, const(1.15))], None))
    w(year_table("ReserveMarginTagFuel", 0, [("ELG", const(1.0))], "%s,*,*" % R))
    w(year_table("ReserveMarginTagTechnology", 0, [(t, const(d["rm_tag"])) for t, d in T.items()
                                                   if d["rm_tag"] > 0], "%s,*,*" % R))
    w("# EmissionsPenalty is not set here (default 0): see carbon_price.dat\n")
    w("end;")
    with open(path, "w") as fh:
        fh.write("\n".join(L) + "\n")


def write_carbon_price(path):
    price = lambda y: 0.0 if y < 2026 else 25.0 + 5.0 * (y - 2026)
    with open(path, "w") as fh:
        fh.write("# Carbon-price scenario for Atlantis: use together with data.dat\n"
                 "#   glpsol -m model.mod -d demo/data.dat -d demo/carbon_price.dat\n"
                 "# EmissionsPenalty in M$/Mt CO2 (= $/t CO2): 0 in 2025, 25 $/t in 2026,\n"
                 "# +5 $/t per year, 145 $/t in 2050.  Generated by demo/generate_data.py.\n"
                 "data;\n")
        fh.write(year_table("EmissionsPenalty", 0, [("CO2", price)], "%s,*,*" % R))
        fh.write("end;\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=None, help="data file (default: data.dat next to this script)")
    ap.add_argument("--carbon-out", default=None, help="carbon price file (default: carbon_price.dat)")
    ap.add_argument("--demand-scale", type=float, default=1.0,
                    help="multiply SpecifiedAnnualDemand by this factor")
    ap.add_argument("--no-carbon", action="store_true", help="do not write the carbon price file")
    a = ap.parse_args()
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    write_data(a.out or os.path.join(here, "data.dat"), a.demand_scale)
    if not a.no_carbon:
        write_carbon_price(a.carbon_out or os.path.join(here, "carbon_price.dat"))

/* =====================================================================
   OG-CLEWS energy model: a compact OSeMOSYS/CLEWS-style least-cost
   capacity-expansion and dispatch LP, written in GNU MathProg (GMPL).

   Solve:  mkdir -p results
           glpsol -m model.mod -d demo/data.dat [-d demo/carbon_price.dat]

   Conventions (see README.md for the full description):
   * energy in PJ, capacity in the unit chosen per technology (GW for
     plants, CapacityToActivityUnit converts one unit of capacity running
     a full year into activity units, 31.536 PJ per GW-year),
     money in M$ (real), emissions in Mt.
   * RateOfActivity is an annual *rate* (activity units per year);
     the activity delivered inside time slice l is RateOfActivity*YearSplit[l].
   * Costs are discounted to the first model year: investment at the start
     of its year, operating costs and emission penalties at mid-year.
   * "No limit" for upper-limit parameters is the default value -1.

   Interface contract with the macro model (do not rename lightly):
   * Every (REGION, FUEL, TIMESLICE, YEAR) has exactly one row
        EnergyBalance[r,f,l,y]
     of the form   (production - use)  >=  Demand[r,f,l,y]
     whose left-hand side holds only variables, so the row's lower bound
     (right-hand side) is exactly
        Demand[r,f,l,y] = SpecifiedAnnualDemand[r,f,y]
                          * SpecifiedDemandProfile[r,f,l,y]      (PJ).
   * Fuels with AccumulatedAnnualDemand also get one row
        EnergyBalanceAnnual[r,f,y]: annual production - annual use
                                    >= AccumulatedAnnualDemand[r,f,y].
   ===================================================================== */

/* ------------------------------- sets ------------------------------- */
set REGION;
set TECHNOLOGY;
set FUEL;                      # commodities (energy carriers, services)
set EMISSION;
set YEAR;                      # numeric, e.g. 2025 2026 ... 2050
set TIMESLICE;
set MODE_OF_OPERATION default {1};
# technologies whose variable cost is a fuel import (trade) cost;
# only used for reporting (AnnualFuelImport*, see the results section).
set IMPORT_TECHNOLOGY within TECHNOLOGY default {};

/* ---------------------------- parameters ---------------------------- */
param ResultsPath, symbolic, default "results";

# time
param YearSplit{l in TIMESLICE, y in YEAR};                 # fraction of year
param DiscountRate{r in REGION} default 0.05;               # 1/yr
param DepreciationMethod{r in REGION} default 1;            # 1 sinking fund, 2 straight line

# demand
param SpecifiedAnnualDemand{r in REGION, f in FUEL, y in YEAR} default 0;             # PJ/yr
param SpecifiedDemandProfile{r in REGION, f in FUEL, l in TIMESLICE, y in YEAR} default 0; # share
param AccumulatedAnnualDemand{r in REGION, f in FUEL, y in YEAR} default 0;           # PJ/yr

# technology performance
param CapacityToActivityUnit{r in REGION, t in TECHNOLOGY} default 1;     # PJ per (cap unit * yr)
param CapacityFactor{r in REGION, t in TECHNOLOGY, l in TIMESLICE, y in YEAR} default 1;
param AvailabilityFactor{r in REGION, t in TECHNOLOGY, y in YEAR} default 1;
param OperationalLife{r in REGION, t in TECHNOLOGY} default 1;            # years
param ResidualCapacity{r in REGION, t in TECHNOLOGY, y in YEAR} default 0;
param InputActivityRatio{r in REGION, t in TECHNOLOGY, f in FUEL,
                         m in MODE_OF_OPERATION, y in YEAR} default 0;
param OutputActivityRatio{r in REGION, t in TECHNOLOGY, f in FUEL,
                          m in MODE_OF_OPERATION, y in YEAR} default 0;

# costs (M$)
param CapitalCost{r in REGION, t in TECHNOLOGY, y in YEAR} default 0;     # M$ per cap unit
param FixedCost{r in REGION, t in TECHNOLOGY, y in YEAR} default 0;       # M$ per cap unit per yr
param VariableCost{r in REGION, t in TECHNOLOGY, m in MODE_OF_OPERATION,
                   y in YEAR} default 0;                                  # M$ per PJ of activity

# emissions (Mt) and carbon price (M$/Mt = $/t)
param EmissionActivityRatio{r in REGION, t in TECHNOLOGY, e in EMISSION,
                            m in MODE_OF_OPERATION, y in YEAR} default 0; # Mt per PJ of activity
param EmissionsPenalty{r in REGION, e in EMISSION, y in YEAR} default 0;
param AnnualExogenousEmission{r in REGION, e in EMISSION, y in YEAR} default 0;
param AnnualEmissionLimit{r in REGION, e in EMISSION, y in YEAR} default -1;
param ModelPeriodExogenousEmission{r in REGION, e in EMISSION} default 0;
param ModelPeriodEmissionLimit{r in REGION, e in EMISSION} default -1;

# capacity and activity limits (-1 = no limit)
param TotalAnnualMaxCapacity{r in REGION, t in TECHNOLOGY, y in YEAR} default -1;
param TotalAnnualMinCapacity{r in REGION, t in TECHNOLOGY, y in YEAR} default 0;
param TotalAnnualMaxCapacityInvestment{r in REGION, t in TECHNOLOGY, y in YEAR} default -1;
param TotalAnnualMinCapacityInvestment{r in REGION, t in TECHNOLOGY, y in YEAR} default 0;
param TotalTechnologyAnnualActivityUpperLimit{r in REGION, t in TECHNOLOGY, y in YEAR} default -1;
param TotalTechnologyAnnualActivityLowerLimit{r in REGION, t in TECHNOLOGY, y in YEAR} default 0;

# reserve margin (OSeMOSYS meaning: firm capacity >= ReserveMargin * production rate
# of the tagged fuels in every time slice; 0 = constraint off)
param ReserveMargin{r in REGION, y in YEAR} default 0;
param ReserveMarginTagTechnology{r in REGION, t in TECHNOLOGY, y in YEAR} default 0;
param ReserveMarginTagFuel{r in REGION, f in FUEL, y in YEAR} default 0;

/* ------------------------- data consistency ------------------------- */
check{y in YEAR}: abs(sum{l in TIMESLICE} YearSplit[l,y] - 1) <= 1e-6;
check{r in REGION, f in FUEL, y in YEAR: SpecifiedAnnualDemand[r,f,y] > 0}:
      abs(sum{l in TIMESLICE} SpecifiedDemandProfile[r,f,l,y] - 1) <= 1e-4;
check{r in REGION, t in TECHNOLOGY}: OperationalLife[r,t] >= 1;
check{r in REGION}: DepreciationMethod[r] in {1, 2};

/* ------------------------- derived parameters ----------------------- */
param FirstYear := min{y in YEAR} y;
param LastYear  := max{y in YEAR} y;

# the right-hand side of EnergyBalance (PJ in time slice l)
param Demand{r in REGION, f in FUEL, l in TIMESLICE, y in YEAR}
      := SpecifiedAnnualDemand[r,f,y] * SpecifiedDemandProfile[r,f,l,y];

param DiscountFactor{r in REGION, y in YEAR}      := (1 + DiscountRate[r]) ^ (y - FirstYear);
param DiscountFactorMid{r in REGION, y in YEAR}   := (1 + DiscountRate[r]) ^ (y - FirstYear + 0.5);
param DiscountFactorSalvage{r in REGION}          := (1 + DiscountRate[r]) ^ (LastYear - FirstYear + 1);

# share of an investment made in year y that is still "unused" after LastYear
param SalvageFraction{r in REGION, t in TECHNOLOGY, y in YEAR} :=
  if y + OperationalLife[r,t] - 1 <= LastYear then 0
  else if DepreciationMethod[r] = 1 and DiscountRate[r] > 0 then
    1 - ((1 + DiscountRate[r]) ^ (LastYear - y + 1) - 1)
        / ((1 + DiscountRate[r]) ^ OperationalLife[r,t] - 1)
  else
    1 - (LastYear - y + 1) / OperationalLife[r,t];

# fuels that need an annual (not time-sliced) balance row
set ANNUAL_BALANCE within REGION cross FUEL :=
  {r in REGION, f in FUEL: sum{y in YEAR} AccumulatedAnnualDemand[r,f,y] > 0};

/* ----------------------------- variables ---------------------------- */
var NewCapacity{r in REGION, t in TECHNOLOGY, y in YEAR} >= 0;
var RateOfActivity{r in REGION, l in TIMESLICE, t in TECHNOLOGY,
                   m in MODE_OF_OPERATION, y in YEAR} >= 0;

/* Everything else (capacity, production, use, emissions, costs) is a linear
   expression of these two variables; it is written out inline below so
   that the LP stays small, and evaluated again in the results section. */

/* ----------------------------- objective ---------------------------- */
minimize TotalDiscountedCostObjective:
  sum{r in REGION, y in YEAR} (
      # investment, start of year
      sum{t in TECHNOLOGY: CapitalCost[r,t,y] <> 0}
          CapitalCost[r,t,y] * NewCapacity[r,t,y] / DiscountFactor[r,y]
      # fixed O&M on all installed capacity, mid-year
    + sum{t in TECHNOLOGY: FixedCost[r,t,y] <> 0}
          FixedCost[r,t,y] * ( sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]}
                                   NewCapacity[r,t,yy]
                               + ResidualCapacity[r,t,y] ) / DiscountFactorMid[r,y]
      # variable O&M and fuel import costs, mid-year
    + sum{t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE: VariableCost[r,t,m,y] <> 0}
          VariableCost[r,t,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y] / DiscountFactorMid[r,y]
      # emission penalty (carbon price), mid-year
    + sum{e in EMISSION, t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE:
          EmissionsPenalty[r,e,y] <> 0 and EmissionActivityRatio[r,t,e,m,y] <> 0}
          EmissionsPenalty[r,e,y] * EmissionActivityRatio[r,t,e,m,y]
          * RateOfActivity[r,l,t,m,y] * YearSplit[l,y] / DiscountFactorMid[r,y]
      # salvage value of capacity that outlives the horizon
    - sum{t in TECHNOLOGY: CapitalCost[r,t,y] <> 0 and SalvageFraction[r,t,y] > 0}
          SalvageFraction[r,t,y] * CapitalCost[r,t,y] * NewCapacity[r,t,y]
          / DiscountFactorSalvage[r]
  );

/* ---------------------------- constraints --------------------------- */

# (1) Demand / commodity balance per time slice.  LHS = variables only,
#     RHS = Demand[r,f,l,y]  (the row the macro model updates).
s.t. EnergyBalance{r in REGION, f in FUEL, l in TIMESLICE, y in YEAR}:
    sum{t in TECHNOLOGY, m in MODE_OF_OPERATION: OutputActivityRatio[r,t,f,m,y] <> 0}
        RateOfActivity[r,l,t,m,y] * OutputActivityRatio[r,t,f,m,y] * YearSplit[l,y]
  - sum{t in TECHNOLOGY, m in MODE_OF_OPERATION: InputActivityRatio[r,t,f,m,y] <> 0}
        RateOfActivity[r,l,t,m,y] * InputActivityRatio[r,t,f,m,y] * YearSplit[l,y]
  >= Demand[r,f,l,y];

# (2) Annual balance for fuels with an accumulated (non time-sliced) demand.
s.t. EnergyBalanceAnnual{(r,f) in ANNUAL_BALANCE, y in YEAR}:
    sum{l in TIMESLICE, t in TECHNOLOGY, m in MODE_OF_OPERATION: OutputActivityRatio[r,t,f,m,y] <> 0}
        RateOfActivity[r,l,t,m,y] * OutputActivityRatio[r,t,f,m,y] * YearSplit[l,y]
  - sum{l in TIMESLICE, t in TECHNOLOGY, m in MODE_OF_OPERATION: InputActivityRatio[r,t,f,m,y] <> 0}
        RateOfActivity[r,l,t,m,y] * InputActivityRatio[r,t,f,m,y] * YearSplit[l,y]
  >= AccumulatedAnnualDemand[r,f,y];

# (3) Capacity adequacy in every time slice:
#     activity rate <= (new capacity still alive + residual) * CF * CapacityToActivityUnit
s.t. CapacityAdequacy{r in REGION, l in TIMESLICE, t in TECHNOLOGY, y in YEAR}:
    sum{m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y]
  - CapacityFactor[r,t,l,y] * CapacityToActivityUnit[r,t]
    * sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
  <= CapacityFactor[r,t,l,y] * CapacityToActivityUnit[r,t] * ResidualCapacity[r,t,y];

# (4) Annual availability (planned/forced outages); implied by (3) when AF = 1.
s.t. AnnualAvailability{r in REGION, t in TECHNOLOGY, y in YEAR: AvailabilityFactor[r,t,y] < 1}:
    sum{l in TIMESLICE, m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
  <= AvailabilityFactor[r,t,y] * CapacityToActivityUnit[r,t]
     * sum{l in TIMESLICE} CapacityFactor[r,t,l,y] * YearSplit[l,y]
     * ( sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
         + ResidualCapacity[r,t,y] );

# (5) Capacity limits
s.t. MaxCapacity{r in REGION, t in TECHNOLOGY, y in YEAR: TotalAnnualMaxCapacity[r,t,y] >= 0}:
    sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
  + ResidualCapacity[r,t,y] <= TotalAnnualMaxCapacity[r,t,y];

s.t. MinCapacity{r in REGION, t in TECHNOLOGY, y in YEAR: TotalAnnualMinCapacity[r,t,y] > 0}:
    sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
  + ResidualCapacity[r,t,y] >= TotalAnnualMinCapacity[r,t,y];

s.t. MaxCapacityInvestment{r in REGION, t in TECHNOLOGY, y in YEAR:
                           TotalAnnualMaxCapacityInvestment[r,t,y] >= 0}:
    NewCapacity[r,t,y] <= TotalAnnualMaxCapacityInvestment[r,t,y];

s.t. MinCapacityInvestment{r in REGION, t in TECHNOLOGY, y in YEAR:
                           TotalAnnualMinCapacityInvestment[r,t,y] > 0}:
    NewCapacity[r,t,y] >= TotalAnnualMinCapacityInvestment[r,t,y];

# (6) Annual activity limits (e.g. domestic resource potentials)
s.t. ActivityUpperLimit{r in REGION, t in TECHNOLOGY, y in YEAR:
                        TotalTechnologyAnnualActivityUpperLimit[r,t,y] >= 0}:
    sum{l in TIMESLICE, m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
  <= TotalTechnologyAnnualActivityUpperLimit[r,t,y];

s.t. ActivityLowerLimit{r in REGION, t in TECHNOLOGY, y in YEAR:
                        TotalTechnologyAnnualActivityLowerLimit[r,t,y] > 0}:
    sum{l in TIMESLICE, m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
  >= TotalTechnologyAnnualActivityLowerLimit[r,t,y];

# (7) Emission caps
s.t. AnnualEmissionLimitConstraint{r in REGION, e in EMISSION, y in YEAR:
                                   AnnualEmissionLimit[r,e,y] >= 0}:
    sum{t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE: EmissionActivityRatio[r,t,e,m,y] <> 0}
        EmissionActivityRatio[r,t,e,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
  <= AnnualEmissionLimit[r,e,y] - AnnualExogenousEmission[r,e,y];

s.t. ModelPeriodEmissionLimitConstraint{r in REGION, e in EMISSION:
                                        ModelPeriodEmissionLimit[r,e] >= 0}:
    sum{y in YEAR, t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE:
        EmissionActivityRatio[r,t,e,m,y] <> 0}
        EmissionActivityRatio[r,t,e,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
  <= ModelPeriodEmissionLimit[r,e] - ModelPeriodExogenousEmission[r,e]
     - sum{y in YEAR} AnnualExogenousEmission[r,e,y];

# (8) Reserve margin on firm capacity for the tagged fuel(s) in every slice
s.t. ReserveMarginConstraint{r in REGION, l in TIMESLICE, y in YEAR: ReserveMargin[r,y] > 0}:
    sum{t in TECHNOLOGY: ReserveMarginTagTechnology[r,t,y] > 0}
        ReserveMarginTagTechnology[r,t,y] * CapacityToActivityUnit[r,t]
        * sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
  - ReserveMargin[r,y]
    * sum{f in FUEL, t in TECHNOLOGY, m in MODE_OF_OPERATION:
          ReserveMarginTagFuel[r,f,y] > 0 and OutputActivityRatio[r,t,f,m,y] <> 0}
        ReserveMarginTagFuel[r,f,y] * OutputActivityRatio[r,t,f,m,y] * RateOfActivity[r,l,t,m,y]
  >= - sum{t in TECHNOLOGY: ReserveMarginTagTechnology[r,t,y] > 0}
        ReserveMarginTagTechnology[r,t,y] * CapacityToActivityUnit[r,t] * ResidualCapacity[r,t,y];

/* The objective has a constant part (fixed O&M of residual capacity).
   GLPK keeps it when solving the model, but LP/MPS files written with
   --wlp / --wfreemps do not carry it: objective(file) + this constant
   = TotalDiscountedCost.  Printed before solving, so also with --check. */
printf "OGCLEWS-ENERGY objective constant (not in LP/MPS files) = %.10f M$\n",
  sum{r in REGION, y in YEAR, t in TECHNOLOGY}
      FixedCost[r,t,y] * ResidualCapacity[r,t,y] / DiscountFactorMid[r,y];

solve;

/* ============================== results ============================= */
/* Values of the variables are available after `solve`.  Every table is a
   CSV file in the otoole layout: upper-case index columns, then VALUE.   */

table tNewCapacity {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/NewCapacity.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR, NewCapacity[r,t,y] ~ VALUE;

table tAccumulatedNewCapacity {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/AccumulatedNewCapacity.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy] ~ VALUE;

table tTotalCapacityAnnual {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/TotalCapacityAnnual.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
  + ResidualCapacity[r,t,y] ~ VALUE;

table tRateOfActivity {r in REGION, l in TIMESLICE, t in TECHNOLOGY, m in MODE_OF_OPERATION, y in YEAR}
  OUT "CSV" (ResultsPath & "/RateOfActivity.csv"):
  r ~ REGION, l ~ TIMESLICE, t ~ TECHNOLOGY, m ~ MODE_OF_OPERATION, y ~ YEAR,
  RateOfActivity[r,l,t,m,y] ~ VALUE;

table tTotalTechnologyAnnualActivity {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/TotalTechnologyAnnualActivity.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  sum{l in TIMESLICE, m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y] * YearSplit[l,y] ~ VALUE;

# production / use: only the (technology, fuel) pairs that exist in the data
table tProductionByTechnology {r in REGION, l in TIMESLICE, t in TECHNOLOGY, f in FUEL, y in YEAR:
      sum{m in MODE_OF_OPERATION} OutputActivityRatio[r,t,f,m,y] <> 0}
  OUT "CSV" (ResultsPath & "/ProductionByTechnology.csv"):
  r ~ REGION, l ~ TIMESLICE, t ~ TECHNOLOGY, f ~ FUEL, y ~ YEAR,
  sum{m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y] * OutputActivityRatio[r,t,f,m,y]
      * YearSplit[l,y] ~ VALUE;

table tProductionByTechnologyAnnual {r in REGION, t in TECHNOLOGY, f in FUEL, y in YEAR:
      sum{m in MODE_OF_OPERATION} OutputActivityRatio[r,t,f,m,y] <> 0}
  OUT "CSV" (ResultsPath & "/ProductionByTechnologyAnnual.csv"):
  r ~ REGION, t ~ TECHNOLOGY, f ~ FUEL, y ~ YEAR,
  sum{l in TIMESLICE, m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y]
      * OutputActivityRatio[r,t,f,m,y] * YearSplit[l,y] ~ VALUE;

table tUseByTechnology {r in REGION, l in TIMESLICE, t in TECHNOLOGY, f in FUEL, y in YEAR:
      sum{m in MODE_OF_OPERATION} InputActivityRatio[r,t,f,m,y] <> 0}
  OUT "CSV" (ResultsPath & "/UseByTechnology.csv"):
  r ~ REGION, l ~ TIMESLICE, t ~ TECHNOLOGY, f ~ FUEL, y ~ YEAR,
  sum{m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y] * InputActivityRatio[r,t,f,m,y]
      * YearSplit[l,y] ~ VALUE;

table tDemand {r in REGION, l in TIMESLICE, f in FUEL, y in YEAR: Demand[r,f,l,y] <> 0}
  OUT "CSV" (ResultsPath & "/Demand.csv"):
  r ~ REGION, l ~ TIMESLICE, f ~ FUEL, y ~ YEAR, Demand[r,f,l,y] ~ VALUE;

table tCapitalInvestment {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/CapitalInvestment.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR, CapitalCost[r,t,y] * NewCapacity[r,t,y] ~ VALUE;

table tAnnualFixedOperatingCost {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/AnnualFixedOperatingCost.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  FixedCost[r,t,y] * ( sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
                       + ResidualCapacity[r,t,y] ) ~ VALUE;

table tAnnualVariableOperatingCost {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/AnnualVariableOperatingCost.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  sum{l in TIMESLICE, m in MODE_OF_OPERATION} VariableCost[r,t,m,y] * RateOfActivity[r,l,t,m,y]
      * YearSplit[l,y] ~ VALUE;

table tAnnualTechnologyEmission {r in REGION, t in TECHNOLOGY, e in EMISSION, y in YEAR:
      sum{m in MODE_OF_OPERATION} abs(EmissionActivityRatio[r,t,e,m,y]) > 0}
  OUT "CSV" (ResultsPath & "/AnnualTechnologyEmission.csv"):
  r ~ REGION, t ~ TECHNOLOGY, e ~ EMISSION, y ~ YEAR,
  sum{l in TIMESLICE, m in MODE_OF_OPERATION} EmissionActivityRatio[r,t,e,m,y]
      * RateOfActivity[r,l,t,m,y] * YearSplit[l,y] ~ VALUE;

table tAnnualTechnologyEmissionsPenalty {r in REGION, t in TECHNOLOGY, y in YEAR:
      sum{e in EMISSION, m in MODE_OF_OPERATION} abs(EmissionActivityRatio[r,t,e,m,y]) > 0}
  OUT "CSV" (ResultsPath & "/AnnualTechnologyEmissionsPenalty.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  sum{e in EMISSION, l in TIMESLICE, m in MODE_OF_OPERATION} EmissionsPenalty[r,e,y]
      * EmissionActivityRatio[r,t,e,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y] ~ VALUE;

# technology emissions + AnnualExogenousEmission
table tAnnualEmissions {r in REGION, e in EMISSION, y in YEAR}
  OUT "CSV" (ResultsPath & "/AnnualEmissions.csv"):
  r ~ REGION, e ~ EMISSION, y ~ YEAR,
  sum{t in TECHNOLOGY, l in TIMESLICE, m in MODE_OF_OPERATION} EmissionActivityRatio[r,t,e,m,y]
      * RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
  + AnnualExogenousEmission[r,e,y] ~ VALUE;

table tSalvageValue {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/SalvageValue.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  SalvageFraction[r,t,y] * CapitalCost[r,t,y] * NewCapacity[r,t,y] ~ VALUE;

table tDiscountedSalvageValue {r in REGION, t in TECHNOLOGY, y in YEAR}
  OUT "CSV" (ResultsPath & "/DiscountedSalvageValue.csv"):
  r ~ REGION, t ~ TECHNOLOGY, y ~ YEAR,
  SalvageFraction[r,t,y] * CapitalCost[r,t,y] * NewCapacity[r,t,y] / DiscountFactorSalvage[r] ~ VALUE;

# discounted (to FirstYear) total system cost per year; sums to the objective
table tTotalDiscountedCost {r in REGION, y in YEAR}
  OUT "CSV" (ResultsPath & "/TotalDiscountedCost.csv"):
  r ~ REGION, y ~ YEAR,
    sum{t in TECHNOLOGY} CapitalCost[r,t,y] * NewCapacity[r,t,y] / DiscountFactor[r,y]
  + sum{t in TECHNOLOGY} FixedCost[r,t,y]
      * ( sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
          + ResidualCapacity[r,t,y] ) / DiscountFactorMid[r,y]
  + sum{t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE}
      VariableCost[r,t,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y] / DiscountFactorMid[r,y]
  + sum{e in EMISSION, t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE}
      EmissionsPenalty[r,e,y] * EmissionActivityRatio[r,t,e,m,y] * RateOfActivity[r,l,t,m,y]
      * YearSplit[l,y] / DiscountFactorMid[r,y]
  - sum{t in TECHNOLOGY} SalvageFraction[r,t,y] * CapitalCost[r,t,y] * NewCapacity[r,t,y]
      / DiscountFactorSalvage[r] ~ VALUE;

/* ---- extra tables (not in the otoole vocabulary), for the coupling ---- */

# Fuel imports: quantity (PJ) and import (trade) cost (M$, undiscounted) by
# import technology and imported fuel.  The technology's variable cost is
# split over its output fuels in proportion to the output activity ratios.
table tAnnualFuelImport {r in REGION, t in IMPORT_TECHNOLOGY, f in FUEL, y in YEAR:
      sum{m in MODE_OF_OPERATION} OutputActivityRatio[r,t,f,m,y] <> 0}
  OUT "CSV" (ResultsPath & "/AnnualFuelImport.csv"):
  r ~ REGION, t ~ TECHNOLOGY, f ~ FUEL, y ~ YEAR,
  sum{l in TIMESLICE, m in MODE_OF_OPERATION} RateOfActivity[r,l,t,m,y]
      * OutputActivityRatio[r,t,f,m,y] * YearSplit[l,y] ~ VALUE;

table tAnnualFuelImportCost {r in REGION, t in IMPORT_TECHNOLOGY, f in FUEL, y in YEAR:
      sum{m in MODE_OF_OPERATION} OutputActivityRatio[r,t,f,m,y] <> 0}
  OUT "CSV" (ResultsPath & "/AnnualFuelImportCost.csv"):
  r ~ REGION, t ~ TECHNOLOGY, f ~ FUEL, y ~ YEAR,
  sum{l in TIMESLICE, m in MODE_OF_OPERATION: OutputActivityRatio[r,t,f,m,y] <> 0}
      VariableCost[r,t,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
      * OutputActivityRatio[r,t,f,m,y] / (sum{ff in FUEL} OutputActivityRatio[r,t,ff,m,y]) ~ VALUE;

# Shadow price of EnergyBalance, undiscounted with the mid-year factor:
# the system cost of one more PJ of the commodity in that slice and year,
# in M$/PJ (= $/GJ).
table tCommodityMarginalCost {r in REGION, l in TIMESLICE, f in FUEL, y in YEAR}
  OUT "CSV" (ResultsPath & "/CommodityMarginalCost.csv"):
  r ~ REGION, l ~ TIMESLICE, f ~ FUEL, y ~ YEAR,
  EnergyBalance[r,f,l,y].dual * DiscountFactorMid[r,y] ~ VALUE;

/* ------------------------------ summary ----------------------------- */
printf "OGCLEWS-ENERGY objective TotalDiscountedCost = %.4f M$ (discounted to %d)\n",
  sum{r in REGION, y in YEAR} (
      sum{t in TECHNOLOGY} CapitalCost[r,t,y] * NewCapacity[r,t,y] / DiscountFactor[r,y]
    + sum{t in TECHNOLOGY} FixedCost[r,t,y]
        * ( sum{yy in YEAR: yy <= y and y - yy < OperationalLife[r,t]} NewCapacity[r,t,yy]
            + ResidualCapacity[r,t,y] ) / DiscountFactorMid[r,y]
    + sum{t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE}
        VariableCost[r,t,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y] / DiscountFactorMid[r,y]
    + sum{e in EMISSION, t in TECHNOLOGY, m in MODE_OF_OPERATION, l in TIMESLICE}
        EmissionsPenalty[r,e,y] * EmissionActivityRatio[r,t,e,m,y] * RateOfActivity[r,l,t,m,y]
        * YearSplit[l,y] / DiscountFactorMid[r,y]
    - sum{t in TECHNOLOGY} SalvageFraction[r,t,y] * CapitalCost[r,t,y] * NewCapacity[r,t,y]
        / DiscountFactorSalvage[r] ),
  FirstYear;
printf{e in EMISSION} "OGCLEWS-ENERGY cumulative %s emissions %d-%d = %.3f Mt\n", e, FirstYear, LastYear,
  sum{r in REGION, y in YEAR, t in TECHNOLOGY, l in TIMESLICE, m in MODE_OF_OPERATION}
      EmissionActivityRatio[r,t,e,m,y] * RateOfActivity[r,l,t,m,y] * YearSplit[l,y]
  + sum{r in REGION, y in YEAR} AnnualExogenousEmission[r,e,y];

end;

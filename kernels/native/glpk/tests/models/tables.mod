# Writes CSV tables (one through a ResultsPath parameter), a text file and terminal output.
set I := {"north", "south", "east"};
param demand{i in I} := if i = "north" then 10 else if i = "south" then 20 else 30;
param ResultsPath, symbolic, default "results";
var x{i in I} >= 0;
minimize cost: sum{i in I} (if i = "north" then 1 else 2) * x[i];
s.t. meet{i in I}: x[i] >= demand[i];
solve;
printf "total cost is %g\n", cost;
printf "report line\n" > "report.txt";
table result{i in I} OUT "CSV" "result.csv": i ~ region, x[i] ~ amount, demand[i] ~ demand;
table rp{i in I} OUT "CSV" (ResultsPath & "/via_param.csv"): i, x[i];
display x;
end;

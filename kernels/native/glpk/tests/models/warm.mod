# A small production-planning LP with a unique optimum, used by the warm-start test.
set P;
set R;
param profit{P};
param use{R, P};
param cap{R};
param minimum{P}, default 0;
var make{p in P} >= minimum[p];
maximize total: sum{p in P} profit[p] * make[p];
s.t. capacity{r in R}: sum{p in P} use[r, p] * make[p] <= cap[r];
s.t. balance: make['a'] - 0.5 * make['b'] >= 1;
s.t. fixed_d: make['d'] = 2;
end;

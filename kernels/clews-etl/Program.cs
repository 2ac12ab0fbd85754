// The CLEWS ETL kernel: energy-model results -> macro inputs, macro paths -> energy-model data updates.
using Mesh.Kernel;
using OgClews.Etl.Kernel;

var kernel = MeshKernel.CreateBuilder(args).Build();

kernel.Map("energy_to_macro", Endpoints.EnergyToMacro,
    "forward pass: results (a map of tables, or results_path, a folder of otoole/MUIO CSVs) + options -> table of yearly macro inputs");
kernel.Map("macro_to_energy", Endpoints.MacroToEnergy,
    "reverse pass: macro paths table (year, gdp, energy_demand_index, interest_rate, gdp_ref) + options -> {row_updates, data_file, base_data_file, annual_demand, discount_rate, replaced_parameters}");
kernel.Map("read_results", Endpoints.ReadResults,
    "reads a results folder: {layout, layouts, tables} with every table under otoole column names");

return await kernel.RunAsync();

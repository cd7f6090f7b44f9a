using Lilium.Fleet;
using Lilium.RelaySupervisor;

// The local relay supervisor (make run): SupervisorOptions lists its variables.
SupervisorOptions options;
try
{
    options = SupervisorOptions.From(Environment.GetEnvironmentVariable);
}
catch (FleetConfigurationException e)
{
    Console.Error.WriteLine("relay-supervisor: " + e.Message);
    return 2;
}

var app = SupervisorHost.Create(options);
await app.RunAsync();
return 0;

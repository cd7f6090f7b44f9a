using Lilium.Relay;

var app = await RelayApp.CreateAsync(args);
await app.RunAsync();

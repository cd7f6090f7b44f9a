using System.Runtime.InteropServices;
using Lilium.Fuzz;
using SharpFuzz;

// Lilium.Fuzz <target>                   under libFuzzer (fuzz/driver/libfuzzer-dotnet.c sets __LIBFUZZER_SHM_ID)
// Lilium.Fuzz <target> <file|dir>...     replay inputs in-process (reproduce a crash); exit 1 if any throws
// Lilium.Fuzz seeds <corpus-root>        write the generated seed corpora (see Seeds.cs)
if (args.Length == 2 && args[0] == "seeds")
{
    Seeds.Write(args[1]);
    return 0;
}

if (args.Length < 1 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Lilium.Fuzz <{string.Join('|', FuzzTargets.Names)}> [input file or directory...] | seeds <corpus-root>");
    return 2;
}

// Instrumented code writes edge hits to Trace.SharedMem; until Fuzzer.LibFuzzer.Run points it at the
// shared map, give it a scratch map, so a target can be built (a DTLS handshake, an SCTP association)
// outside the first input's time limit, and replay works with an instrumented build.
unsafe
{
    SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16); // SharpFuzz's map size
}

var target = FuzzTargets.Create(args[0]);
if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") is not null)
{
    Fuzzer.LibFuzzer.Run(span => target.Run(span));
    return 0;
}

var failed = 0;
var files = args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).ToList();
foreach (var file in files)
{
    try
    {
        target.Run(File.ReadAllBytes(file));
    }
    catch (Exception ex)
    {
        failed++;
        Console.Error.WriteLine($"{file}: {ex}");
    }
}

Console.WriteLine($"{args[0]}: {files.Count} inputs, {failed} threw");
if (target is Lilium.Fuzz.Targets.DtlsTarget dtls)
{
    Console.WriteLine($"dtls: the inputs ended the association {dtls.Rebuilds} times; last: {dtls.LastCloseReason}");
}

return failed == 0 ? 0 : 1;

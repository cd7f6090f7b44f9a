namespace Lilium.Fuzz;

/// <summary>
/// One fuzz target: bytes in, nothing out. It must return normally for every input; an exception
/// that escapes <see cref="Run"/> is a crash (SharpFuzz reports it to libFuzzer), and an input that
/// does not return within the run's time limit is a hang. Targets may keep state between inputs
/// (an established association, a replay window) when that is the state hostile bytes meet in
/// production; they rebuild it when an input ends it.
/// </summary>
public interface IFuzzTarget
{
    void Run(ReadOnlySpan<byte> input);
}

using Lilium.Client.Capture;
using Lilium.Protocol;

namespace Lilium.Cli;

/// <summary>What <c>lilium host</c> was asked to do.</summary>
internal sealed record HostOptions(
    string? Display,
    int? Monitor,
    ScreenRegion? Region,
    string Preset,
    int? Fps,
    int? BitrateKbps,
    string Codec,
    string Encoder,
    string? Audio,
    bool ApplyInput,
    AutoAccept AutoAccept,
    InputPermissions Grant,
    bool NoPrompt,
    int Seconds);

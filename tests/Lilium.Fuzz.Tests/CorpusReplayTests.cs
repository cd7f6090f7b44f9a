namespace Lilium.Fuzz.Tests;

/// <summary>
/// Every target, in-process and uninstrumented, over its committed seed corpus and a fixed set of
/// mutations of it (bit flips, byte overwrites with boundary values, truncations, insertions,
/// splices of two seeds): no input may throw. The seeded mutations make a failure reproducible; the
/// failing input is printed in hex.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.Names];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_survives_its_corpus_and_mutations_of_it(string name)
    {
        var seeds = Directory.GetFiles(RepoPaths.Corpus(name)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(seeds);

        var target = FuzzTargets.Create(name);
        try
        {
            const int mutations = 3000;
            var random = new Random(20261206);
            var count = 0;
            foreach (var input in seeds.Concat(Enumerable.Range(0, mutations).Select(_ => Mutate(seeds, random))))
            {
                count++;
                try
                {
                    target.Run(input);
                }
                catch (Exception ex)
                {
                    Assert.Fail($"{name}: input {count} threw {ex.GetType().Name}: {ex.Message}\n{Convert.ToHexString(input)}\n{ex}");
                }
            }

            Assert.Equal(seeds.Count + mutations, count);
        }
        finally
        {
            (target as IDisposable)?.Dispose();
        }
    }

    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x20, 0x3F, 0x40];

    private static byte[] Mutate(List<byte[]> seeds, Random random)
    {
        var input = seeds[random.Next(seeds.Count)].ToList();
        var edits = 1 + random.Next(4);
        for (var i = 0; i < edits; i++)
        {
            var at = input.Count == 0 ? 0 : random.Next(input.Count);
            switch (random.Next(6))
            {
                case 0 when input.Count > 0:
                    input[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when input.Count > 0:
                    input[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    input.RemoveRange(at, input.Count == 0 ? 0 : random.Next(input.Count - at) + 1);
                    break;
                case 3:
                    input.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => Interesting[random.Next(Interesting.Length)]));
                    break;
                case 4:
                    var other = seeds[random.Next(seeds.Count)];
                    input = [.. input.Take(at), .. other.Skip(random.Next(other.Length + 1))];
                    break;
                default:
                    if (input.Count >= 2)
                    {
                        // A length or count field set to its maximum.
                        input[at] = 0xFF;
                        input[Math.Min(at + 1, input.Count - 1)] = 0xFF;
                    }

                    break;
            }
        }

        return [.. input];
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Lilium.Data.Users;

/// <summary>
/// Nickname rules: the text is normalized to NFC; it must then be 1–32 Unicode scalar values,
/// contain no control (Cc), format (Cf, e.g. zero-width or bidi overrides), private-use,
/// unassigned, surrogate or line/paragraph-separator characters, and not begin or end with
/// white space. Anything else (SQL metacharacters, emoji, any script) is allowed and stored as is.
/// NFC itself is Postgres's <c>normalize(text, NFC)</c> (see <see cref="UserRepository.NormalizeNicknameAsync"/>):
/// the app runs in .NET's invariant globalization mode (no ICU on Lambda), where
/// <see cref="string.Normalize()"/> leaves text unchanged.
/// </summary>
public static class Nickname
{
    public const int MaxLength = 32;

    /// <summary>Longer raw input is refused before normalization (NFC can shrink, but not by this much).</summary>
    public const int MaxRawLength = 4 * MaxLength;

    /// <summary>May <paramref name="raw"/> be sent to the database for normalization? (Non-empty, bounded, well-formed UTF-16.)</summary>
    public static bool IsNormalizable([NotNullWhen(true)] string? raw, out string? error)
    {
        error = string.IsNullOrEmpty(raw) ? "The nickname is empty."
            : raw.Length > MaxRawLength ? $"The nickname is longer than {MaxLength} characters."
            : !IsWellFormed(raw) ? "The nickname contains an unpaired surrogate."
            : raw.Contains('\0') ? "The nickname contains a character that is not allowed (U+0000)." // Postgres text cannot hold NUL.
            : null;
        return error is null;
    }

    /// <summary>Checks already-normalized (NFC) text against the rules; null and a reason a person can act on if it breaks one.</summary>
    public static string? Check(string? text, out string? error)
    {
        if (!IsNormalizable(text, out error))
        {
            return null;
        }

        var count = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            count++;
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.Format:
                case UnicodeCategory.PrivateUse:
                case UnicodeCategory.OtherNotAssigned:
                case UnicodeCategory.Surrogate:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                    error = $"The nickname contains a character that is not allowed (U+{rune.Value:X4}).";
                    return null;
            }
        }

        if (count > MaxLength)
        {
            error = $"The nickname is longer than {MaxLength} characters.";
            return null;
        }

        if (Rune.IsWhiteSpace(Rune.GetRuneAt(text, 0)) || Rune.IsWhiteSpace(Rune.GetRuneAt(text, LastRuneIndex(text))))
        {
            error = "The nickname begins or ends with white space.";
            return null;
        }

        return text;
    }

    private static int LastRuneIndex(string text) =>
        text.Length >= 2 && char.IsLowSurrogate(text[^1]) && char.IsHighSurrogate(text[^2]) ? text.Length - 2 : text.Length - 1;

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}

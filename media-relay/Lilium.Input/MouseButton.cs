namespace Lilium.Input;

public enum MouseButton : byte
{
    Left = 0,
    Right = 1,
    Middle = 2,
    Back = 3,
    Forward = 4,
}

namespace MicrogradPlus;

/// <summary>
/// Disposes, when it ends, every tensor created on this thread while it was the innermost scope — except tensors
/// moved out (<see cref="MoveOut"/>, <see cref="Tensor.MoveToOuterScope"/>) and gradients, which belong to their leaf.
/// GPU memory does not feel the .NET GC's pressure, so a training step runs in one:
/// <code>using (Tensor.Scope()) { var loss = ...; loss.Backward(); optimizer.Step(); }</code>
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic]
    private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    /// <summary>How many tensors the scope will dispose.</summary>
    public int Count => _owned.Count;

    /// <summary>Keeps <paramref name="tensor"/> alive past this scope: it moves to the enclosing scope, if any.</summary>
    public Tensor MoveOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_owned.Remove(tensor))
        {
            tensor.OwnerScope = null;
            if (_parent is null)
            {
                tensor.Storage.Guard(); // no scope will dispose it any more
            }
            else
            {
                _parent.Adopt(tensor);
            }
        }
        return tensor;
    }

    /// <summary>Disposes every tensor the scope still owns and makes the enclosing scope current again.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!ReferenceEquals(_current, this))
        {
            throw new InvalidOperationException("tensor scopes must be disposed in reverse order of creation");
        }
        _current = _parent;
        foreach (var tensor in _owned)
        {
            tensor.OwnerScope = null;
            tensor.Dispose();
        }
        _owned.Clear();
    }

    /// <summary>Whether a scope is open on this thread (tensors created now will be disposed by it).</summary>
    internal static bool IsActive => _current is not null;

    /// <summary>Hands a new tensor to the innermost scope; false when there is none.</summary>
    internal static bool Register(Tensor tensor)
    {
        if (_current is null)
        {
            return false;
        }
        _current.Adopt(tensor);
        return true;
    }

    internal void Forget(Tensor tensor) => _owned.Remove(tensor);

    private void Adopt(Tensor tensor)
    {
        _owned.Add(tensor);
        tensor.OwnerScope = this;
    }
}

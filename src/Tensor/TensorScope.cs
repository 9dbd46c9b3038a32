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
    /// <param name="tensor">A tensor this scope owns (or any tensor: one it does not own is returned as it is).</param>
    /// <returns><paramref name="tensor"/>, for chaining: <c>var kept = scope.MoveOut(a + b);</c></returns>
    public Tensor MoveOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_owned.Remove(tensor))
        {
            if (_parent is null)
            {
                Disown(tensor);
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

    /// <summary>
    /// Takes <paramref name="tensor"/> out of scope ownership for good (a tensor moved out of the outermost scope, a
    /// leaf's gradient): no scope will dispose it, so its memory is guarded — dropped undisposed, it goes back to the
    /// pool.
    /// </summary>
    internal static void Disown(Tensor tensor)
    {
        tensor.OwnerScope?.Forget(tensor);
        tensor.OwnerScope = null;
        tensor.Storage.Guard();
    }

    private void Adopt(Tensor tensor)
    {
        _owned.Add(tensor);
        tensor.OwnerScope = this;
    }
}

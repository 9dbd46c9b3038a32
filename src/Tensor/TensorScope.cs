namespace MicrogradPlus;

/// <summary>
/// Disposes, when it ends, every tensor created while it was the innermost scope — except tensors moved out
/// (<see cref="MoveOut"/>, <see cref="Tensor.MoveToOuterScope"/>) and gradients, which belong to their leaf.
/// GPU memory does not feel the .NET GC's pressure, so a training step runs in one:
/// <code>using (Tensor.Scope()) { var loss = ...; loss.Backward(); optimizer.Step(); }</code>
/// </summary>
/// <remarks>
/// <para>Scopes flow with the async context, like <see cref="AsyncLocal{T}"/> values: a scope opened before an
/// <c>await</c> is still the innermost one after it, on whatever thread the method resumes, and may be disposed there;
/// work started inside a scope (<c>Task.Run</c>, a new thread) creates its tensors in that scope too, and they are
/// disposed with it. Leaving an async method restores its caller's scope.</para>
/// <para>A scope may be disposed from any thread and in any order. Disposing it disposes the tensors it still owns;
/// from then on the innermost scope of every context that had it open is its nearest enclosing scope not yet
/// disposed, so nothing joins a dead scope. A tensor may be disposed on any thread, also while its scope ends on
/// another: whichever comes first releases the memory, once.</para>
/// </remarks>
public sealed class TensorScope : IDisposable
{
    private static readonly AsyncLocal<TensorScope?> Innermost = new();

    private const int FirstCompaction = 64;

    private readonly TensorScope? _parent;
    private readonly Lock _gate = new();

    // Append-only between compactions: a tensor in the list is still owned by this scope only while its OwnerScope
    // is this scope (Tensor.Dispose, MoveOut and Disown clear or change that field instead of searching the list).
    private List<Tensor> _owned = [];
    private int _compactAt = FirstCompaction;
    private volatile bool _disposed;

    internal TensorScope()
    {
        _parent = Live(Innermost.Value);
        Innermost.Value = this;
    }

    /// <summary>How many tensors the scope will dispose.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                int count = 0;
                foreach (var tensor in _owned)
                {
                    count += tensor.IsOwnedBy(this) ? 1 : 0;
                }
                return count;
            }
        }
    }

    /// <summary>Whether the scope has ended (its tensors are disposed).</summary>
    public bool IsDisposed => _disposed;

    /// <summary>
    /// Keeps <paramref name="tensor"/> alive past this scope: it moves to the nearest enclosing scope still open, if
    /// any; with none, the caller owns it.
    /// </summary>
    /// <param name="tensor">A tensor this scope owns (or any tensor: one it does not own is returned as it is).</param>
    /// <returns><paramref name="tensor"/>, for chaining: <c>var kept = scope.MoveOut(a + b);</c></returns>
    public Tensor MoveOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.LeaveScope(this))
        {
            for (var outer = _parent; outer is not null; outer = outer._parent)
            {
                if (outer.TryAdopt(tensor))
                {
                    return tensor;
                }
            }
            tensor.GuardStorage();
        }
        return tensor;
    }

    /// <summary>
    /// Disposes every tensor the scope still owns; the enclosing scope becomes the innermost again. Safe to call
    /// twice, from any thread, in any order relative to other scopes.
    /// </summary>
    public void Dispose()
    {
        List<Tensor> owned;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            owned = _owned;
            _owned = [];
        }
        if (ReferenceEquals(Innermost.Value, this))
        {
            Innermost.Value = Live(_parent);
        }
        foreach (var tensor in owned)
        {
            if (tensor.LeaveScope(this))
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Hands a new tensor to the innermost open scope; false when there is none.</summary>
    internal static bool Register(Tensor tensor)
    {
        for (var scope = Innermost.Value; scope is not null; scope = scope._parent)
        {
            if (scope.TryAdopt(tensor))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Takes <paramref name="tensor"/> out of scope ownership for good (a leaf's gradient): no scope will dispose it,
    /// so its memory is guarded — dropped undisposed, it goes back to the pool.
    /// </summary>
    internal static void Disown(Tensor tensor)
    {
        tensor.LeaveAnyScope();
        tensor.GuardStorage();
    }

    private static TensorScope? Live(TensorScope? scope)
    {
        while (scope is { _disposed: true })
        {
            scope = scope._parent;
        }
        return scope;
    }

    private bool TryAdopt(Tensor tensor)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }
            if (_owned.Count >= _compactAt)
            {
                // Tensors disposed or moved out early still sit in the list: drop them, so a long-lived scope whose
                // tensors are disposed by hand stays small. Amortized O(1) per tensor.
                _owned.RemoveAll(t => !t.IsOwnedBy(this));
                _compactAt = Math.Max(FirstCompaction, 2 * _owned.Count);
            }
            _owned.Add(tensor);
            tensor.EnterScope(this);
            return true;
        }
    }
}

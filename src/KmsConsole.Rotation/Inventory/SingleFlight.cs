namespace KmsConsole.Rotation;

/// <summary>
/// At most one running job per name within the process. A caller who asks while the job runs joins it: it gets
/// the job's latest progress at once, every report after that, and the job's result (or error). The job is
/// cancelled only once every caller waiting for it has given up; until then one caller leaving changes nothing
/// for the others.
/// </summary>
internal sealed class SingleFlight<TProgress, TResult>
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Flight> _running = new(StringComparer.Ordinal);

    /// <summary>Starts <paramref name="job"/> under <paramref name="name"/>, or joins the one already running.</summary>
    public Task<TResult> RunAsync(string name, Func<IProgress<TProgress>, CancellationToken, Task<TResult>> job,
        IProgress<TProgress>? progress, CancellationToken cancellationToken)
    {
        Flight flight;
        var started = false;
        lock (_gate)
        {
            if (!_running.TryGetValue(name, out flight!) || !flight.TryJoin())
            {
                flight = new Flight();
                flight.TryJoin();
                _running[name] = flight;
                started = true;
            }
        }

        if (started)
        {
            _ = RunFlightAsync(name, flight, job);
        }

        return flight.WaitAsync(progress, cancellationToken);
    }

    private async Task RunFlightAsync(string name, Flight flight, Func<IProgress<TProgress>, CancellationToken, Task<TResult>> job)
    {
        Exception? error = null;
        var result = default(TResult);
        try
        {
            result = await Task.Run(() => job(flight, flight.Cancellation), flight.Cancellation);
        }
        catch (Exception e)
        {
            error = e;
        }

        // Forget the flight before answering, so a caller who asks again after this answer starts a fresh job.
        lock (_gate)
        {
            if (_running.TryGetValue(name, out var current) && current == flight)
            {
                _running.Remove(name);
            }
        }

        flight.Finish(result, error);
    }

    private sealed class Flight : IProgress<TProgress>
    {
        private readonly TaskCompletionSource<TResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _cancellation = new();
        private readonly List<IProgress<TProgress>> _listeners = [];
        private TProgress? _latest;
        private bool _reported;
        private int _waiters;
        private bool _abandoned;

        public CancellationToken Cancellation => _cancellation.Token;

        /// <summary>Counts one more waiter, unless every earlier one gave up and the job is being cancelled.</summary>
        public bool TryJoin()
        {
            lock (_listeners)
            {
                if (_abandoned)
                {
                    return false;
                }

                _waiters++;
                return true;
            }
        }

        public async Task<TResult> WaitAsync(IProgress<TProgress>? progress, CancellationToken cancellationToken)
        {
            Listen(progress);
            var leaving = cancellationToken.Register(Leave);
            try
            {
                return await _done.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                // Not once this caller gives up: the wait's own cancellation callback resumes this method first, and
                // disposing here would drop Leave before it ran. Leave then runs before Cancel() returns.
                if (!cancellationToken.IsCancellationRequested)
                {
                    leaving.Dispose();
                }

                if (progress is not null)
                {
                    lock (_listeners)
                    {
                        _listeners.Remove(progress);
                    }
                }
            }
        }

        public void Report(TProgress value)
        {
            IProgress<TProgress>[] listeners;
            lock (_listeners)
            {
                _latest = value;
                _reported = true;
                listeners = [.. _listeners];
            }

            foreach (var listener in listeners)
            {
                listener.Report(value);
            }
        }

        public void Finish(TResult? result, Exception? error)
        {
            switch (error)
            {
                case null:
                    _done.TrySetResult(result!);
                    break;
                case OperationCanceledException when _cancellation.IsCancellationRequested:
                    _done.TrySetCanceled(_cancellation.Token);
                    break;
                default:
                    _done.TrySetException(error);
                    break;
            }
        }

        private void Listen(IProgress<TProgress>? progress)
        {
            if (progress is null)
            {
                return;
            }

            TProgress? latest;
            bool reported;
            lock (_listeners)
            {
                _listeners.Add(progress);
                (latest, reported) = (_latest, _reported);
            }

            // A caller who joins late sees where the job is now, not an empty bar until the next report.
            if (reported)
            {
                progress.Report(latest!);
            }
        }

        private void Leave()
        {
            lock (_listeners)
            {
                if (--_waiters > 0 || _done.Task.IsCompleted)
                {
                    return;
                }

                _abandoned = true;
            }

            _cancellation.Cancel();
        }
    }
}

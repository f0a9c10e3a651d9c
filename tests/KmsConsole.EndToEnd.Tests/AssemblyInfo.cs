// Each test starts the console and Chromium; on a small CI machine they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

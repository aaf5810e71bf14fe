using Pipeline.Cli;
using Stages;

// The stage types `pipeline` knows without plugins: the built-in library (src/Stages).
return await PipelineCli.InvokeAsync(args, CliContext.ForProcess(BuiltInStages.CreateRegistry()));

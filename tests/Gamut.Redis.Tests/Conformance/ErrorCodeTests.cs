using System.Text;
using Gamut.Jobs;

namespace Gamut.Redis.Tests.Conformance;

/// <summary>docs/protocol.md, Errors coming back: a client raises by the stable code, whatever language's type name came with it.</summary>
public sealed class ErrorCodeTests
{
    private static readonly JobHandle Job = new("q", "j1");

    private static Exception Raise(string kind, string json) =>
        new Reply(kind, Encoding.UTF8.GetBytes(json)).ToException(Job, "py.job", TimeSpan.FromSeconds(1));

    [Fact]
    public void A_timeout_from_a_worker_in_another_language_is_a_timeout()
    {
        Assert.IsType<JobTimeoutException>(Raise("failed", """{"code":"timeout","type":"TimeoutError","message":"slow"}"""));
    }

    [Fact]
    public void An_error_without_a_code_is_judged_by_its_type_as_before()
    {
        Assert.IsType<JobTimeoutException>(Raise("failed", """{"type":"Gamut.Jobs.JobTimeoutException","message":"slow"}"""));
        Assert.IsType<JobDeadLetteredException>(Raise("failed", """{"type":"Gamut.Redis.DeadLetter","reason":"bad-payload","message":"x"}"""));
        var failed = Assert.IsType<JobFailedException>(Raise("failed", """{"type":"ValueError","message":"no"}"""));
        Assert.Equal("ValueError", failed.Error.Type);
    }

    [Fact]
    public void A_failure_keeps_the_other_languages_type_name_and_a_dead_code_is_a_dead_letter()
    {
        var failed = Assert.IsType<JobFailedException>(Raise("failed", """{"code":"failed","type":"mymodule.MyError","message":"no","stack":"Traceback"}"""));
        Assert.Equal(("mymodule.MyError", "no", "Traceback"), (failed.Error.Type, failed.Error.Message, failed.Error.StackTrace));
        var dead = Assert.IsType<JobDeadLetteredException>(Raise("failed", """{"code":"dead","type":"Whatever","reason":"unknown-job","message":"x"}"""));
        Assert.Equal("unknown-job", dead.Reason);
    }
}

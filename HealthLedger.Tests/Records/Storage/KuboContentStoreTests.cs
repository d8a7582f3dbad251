using System.Net;
using HealthLedger.Records;
using HealthLedger.Records.Content;
using HealthLedger.Records.Storage;

namespace HealthLedger.Tests.Records.Storage;

/// <summary>The IPFS store against the real daemon (category Ipfs) and against scripted HTTP answers.</summary>
public sealed class KuboContentStoreTests
{
    [Test]
    [Category("Ipfs")]
    public async Task Put_pin_get_has_remove_round_trip_on_the_ipfs_node()
    {
        var endpoint = RecordsTestSupport.RequireIpfsApi();
        using var http = new HttpClient();
        var store = RecordsTestSupport.IpfsStore(endpoint, http);
        var payload = RecordsTestSupport.Payload(300_000);
        payload[0] = (byte)Random.Shared.Next(256); // a fresh CID each run: the daemon's repo outlives one test
        payload[1] = (byte)Random.Shared.Next(256);
        payload[2] = (byte)Random.Shared.Next(256);

        var cid = (await store.PutAsync(payload, CancellationToken.None)).Value;
        var pinnedBefore = (await store.HasAsync(cid, CancellationToken.None)).Value;
        var pin = await store.PinAsync(cid, CancellationToken.None);
        var pinnedAfter = (await store.HasAsync(cid, CancellationToken.None)).Value;
        var got = await store.GetAsync(cid, CancellationToken.None);
        var removed = await store.RemoveAsync(cid, CancellationToken.None);
        var pinnedAfterRemove = (await store.HasAsync(cid, CancellationToken.None)).Value;
        var removedTwice = await store.RemoveAsync(cid, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(pinnedBefore, Is.False);
            Assert.That(pin.IsSuccess, Is.True, pin.ToString());
            Assert.That(pinnedAfter, Is.True);
            Assert.That(got.Value, Is.EqualTo(payload));
            Assert.That(removed.IsSuccess, Is.True, removed.ToString());
            Assert.That(pinnedAfterRemove, Is.False);
            Assert.That(removedTwice.IsSuccess, Is.True, removedTwice.ToString());
        });
    }

    [Test]
    public async Task Cat_bytes_that_do_not_match_the_cid_are_refused()
    {
        var asked = UnixFsDag.ComputeCid(RecordsTestSupport.Payload(100));
        using var http = new HttpClient(new ScriptedHandler(_ => Ok(RecordsTestSupport.Payload(101))));
        var store = Store(http);

        var got = await store.GetAsync(asked, CancellationToken.None);

        Assert.That(got.Error?.Code, Is.EqualTo(RecordErrorCode.CidMismatch));
    }

    [Test]
    public async Task An_add_answered_with_another_cid_is_refused()
    {
        var other = UnixFsDag.ComputeCid([9, 9, 9]);
        using var http = new HttpClient(new ScriptedHandler(_ => Ok(System.Text.Encoding.UTF8.GetBytes($"{{\"Name\":\"record\",\"Hash\":\"{other}\",\"Size\":3}}"))));
        var store = Store(http);

        var put = await store.PutAsync(RecordsTestSupport.Payload(100), CancellationToken.None);

        Assert.That(put.Error?.Code, Is.EqualTo(RecordErrorCode.CidMismatch));
    }

    [Test]
    public async Task A_cat_answer_longer_than_the_limit_is_cut_off_as_too_large()
    {
        var cid = UnixFsDag.ComputeCid(RecordsTestSupport.Payload(100));
        using var http = new HttpClient(new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new MemoryStream(new byte[5000])) }));

        var got = await new KuboContentStore(http, Options() with { MaxContentBytes = 4096 }, TimeProvider.System).GetAsync(cid, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(got.Error?.Code, Is.EqualTo(RecordErrorCode.TooLarge));
            Assert.That(got.Error?.Limit, Is.EqualTo(4096));
        });
    }

    [Test]
    public async Task Transient_failures_are_retried_until_the_node_answers()
    {
        var payload = RecordsTestSupport.Payload(100);
        var cid = UnixFsDag.ComputeCid(payload);
        int calls = 0;
        using var http = new HttpClient(new ScriptedHandler(_ => ++calls switch
        {
            1 => throw new HttpRequestException("connection refused"),
            2 => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable),
            _ => Ok(payload),
        }));

        var got = await Store(http).GetAsync(cid, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(got.Value, Is.EqualTo(payload));
            Assert.That(calls, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task A_node_that_never_answers_gives_store_unavailable_after_the_retries()
    {
        int calls = 0;
        using var http = new HttpClient(new ScriptedHandler(_ =>
        {
            calls++;
            throw new HttpRequestException("connection refused");
        }));

        var got = await Store(http).GetAsync(UnixFsDag.ComputeCid([1]), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(got.Error?.Code, Is.EqualTo(RecordErrorCode.StoreUnavailable));
            Assert.That(calls, Is.EqualTo(3), "one attempt and two retries");
        });
    }

    [Test]
    public async Task A_hanging_attempt_is_cut_by_the_attempt_timeout_and_retried()
    {
        var payload = RecordsTestSupport.Payload(10);
        int calls = 0;
        using var http = new HttpClient(new ScriptedHandler(async (_, token) =>
        {
            if (++calls == 1)
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            return Ok(payload);
        }));
        var store = new KuboContentStore(http, Options() with { AttemptTimeout = TimeSpan.FromMilliseconds(500) }, TimeProvider.System);

        var got = await store.GetAsync(UnixFsDag.ComputeCid(payload), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(got.Value, Is.EqualTo(payload));
            Assert.That(calls, Is.GreaterThanOrEqualTo(2), "the hanging first attempt was abandoned"); // more only on a starved machine
        });
    }

    [Test]
    public async Task A_logical_error_is_not_retried()
    {
        int calls = 0;
        using var http = new HttpClient(new ScriptedHandler(_ =>
        {
            calls++;
            return new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = new StringContent("{\"Message\":\"merkledag: not found\",\"Code\":0}") };
        }));

        var got = await Store(http).GetAsync(UnixFsDag.ComputeCid([1]), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(got.Error?.Code, Is.EqualTo(RecordErrorCode.StoreUnavailable));
            Assert.That(got.Error?.Detail, Does.Contain("merkledag: not found"));
            Assert.That(calls, Is.EqualTo(1));
        });
    }

    private static KuboContentStoreOptions Options() => new()
    {
        Endpoint = new Uri("http://127.0.0.1:9/"),
        RetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetries = 2,
        AttemptTimeout = TimeSpan.FromSeconds(5),
    };

    private static KuboContentStore Store(HttpClient http) => new(http, Options(), TimeProvider.System);

    private static HttpResponseMessage Ok(byte[] body) => new(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };

    private sealed class ScriptedHandler : HttpMessageHandler
    {
        private readonly Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> _answer;

        public ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) => _answer = (r, _) => Task.FromResult(answer(r));

        public ScriptedHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) => _answer = answer;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => _answer(request, cancellationToken);
    }
}

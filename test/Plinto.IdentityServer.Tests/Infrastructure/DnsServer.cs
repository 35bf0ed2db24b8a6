using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// A tiny authoritative DNS server on loopback UDP that answers TXT queries (RFC 1035 §4.1) from a table the test
/// fills, so domain verification runs through the real resolver code and a real DNS exchange.
/// </summary>
internal sealed class DnsServer : IAsyncDisposable
{
    private readonly UdpClient socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly ConcurrentDictionary<string, string[]> records = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public DnsServer() => loop = Task.Run(ServeAsync);

    public string EndPoint => ((IPEndPoint)socket.Client.LocalEndPoint!).ToString();

    public void SetTxt(string name, params string[] values) => records[name.TrimEnd('.')] = values;

    private async Task ServeAsync()
    {
        try
        {
            while (true)
            {
                var request = await socket.ReceiveAsync(stop.Token);
                if (Answer(request.Buffer) is { } response)
                {
                    await socket.SendAsync(response, request.RemoteEndPoint, stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed: the loop ends.
        }
    }

    private byte[]? Answer(byte[] query)
    {
        if (query.Length < 17)
        {
            return null;
        }

        // Question: labels from offset 12, then QTYPE and QCLASS.
        var labels = new List<string>();
        var offset = 12;
        while (offset < query.Length && query[offset] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(query, offset + 1, query[offset]));
            offset += query[offset] + 1;
        }

        var questionEnd = offset + 5;
        if (questionEnd > query.Length)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(offset + 1));
        var found = type == 16 && records.TryGetValue(string.Join('.', labels), out var values) ? values : null;

        var response = new List<byte>();
        response.AddRange(query.AsSpan(0, 2).ToArray()); // same id
        response.AddRange(new byte[] { 0x84, (byte)(found is null ? 0x03 : 0x00) }); // QR, AA; NXDOMAIN when absent
        response.AddRange(new byte[] { 0, 1, 0, (byte)(found?.Length ?? 0), 0, 0, 0, 0 });
        response.AddRange(query.AsSpan(12, questionEnd - 12).ToArray());
        foreach (var value in found ?? [])
        {
            var text = Encoding.UTF8.GetBytes(value);
            response.AddRange(new byte[] { 0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 60, 0, (byte)(text.Length + 1), (byte)text.Length });
            response.AddRange(text);
        }

        return [.. response];
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        socket.Dispose();
        stop.Dispose();
    }
}

using System.Diagnostics;
using System.Net.Mail;
using MenoTime.Bench.Worker;

var quick = !args.Contains("--no-quickack");
Console.WriteLine($"args quick={quick}");
await using var sink = new SmtpSink(quick);
using var smtp = new SmtpClient("127.0.0.1", sink.Port);
using var m = new MailMessage("no-reply@menotime.local", "x@example.test") { Subject = "s", Body = "b" };
m.Headers.Add("X-MenoTime-Notification-Id", "123");
await smtp.SendMailAsync(m);
var sw = Stopwatch.StartNew();
for (int i = 0; i < 200; i++) await smtp.SendMailAsync(m);
Console.WriteLine($"quickack={sink.QuickAck}: 200 in {sw.Elapsed}, sink saw {sink.Messages}");

using Mesh.Client.Launching;

namespace Mesh.Client.Tests;

public class RotatingLogTests
{
    [Fact]
    public void Logs_rotate_at_the_size_limit_and_keep_only_a_short_tail_in_memory()
    {
        var dir = Directory.CreateTempSubdirectory("mesh-log-test").FullName;
        var path = Path.Combine(dir, "k.log");
        using (var log = new RotatingLog(path, maxBytes: 1000, maxFiles: 3))
        {
            for (int i = 0; i < 500; i++) log.WriteLine($"line {i:D4} " + new string('x', 40));
            Assert.Equal(40, log.Tail().Count);
            Assert.Equal("line 0499 " + new string('x', 40), log.Tail()[^1]);
        }
        Assert.True(File.Exists(path));
        Assert.True(File.Exists(path + ".1"));
        Assert.True(File.Exists(path + ".2"));
        Assert.False(File.Exists(path + ".3"));
        Assert.All(Directory.GetFiles(dir), f => Assert.True(new FileInfo(f).Length < 1100));
        Assert.Contains("line 0499", File.ReadAllText(path));
    }
}

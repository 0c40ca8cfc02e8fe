package dev.imagerouter.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/image-router's JVM options, read by running it with {@code echo} as the JVM (no JVM starts):
 * the heap floor is added unless the operator sizes the heap, and options pass through in order.
 */
@EnabledOnOs(OS.LINUX)
class LauncherScriptTest {

    @TempDir
    Path tmp;

    private String launch(String javaOpts) throws IOException, InterruptedException {
        Path jar = Files.write(tmp.resolve("router.jar"), new byte[]{0});
        ProcessBuilder builder = new ProcessBuilder("bash", Path.of("bin", "image-router").toString(), "--flag");
        Map<String, String> env = builder.environment();
        env.put("JAVA", "/bin/echo");
        env.put("JAVA_OPTS", javaOpts);
        env.put("IMAGE_ROUTER_JAR", jar.toString());
        env.put("IMAGE_ROUTER_CDS_DIR", "");
        Process process = builder.redirectErrorStream(true).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the launcher returned");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, process.exitValue(), out);
        return out.replace(jar.toString(), "<jar>");
    }

    private static long memoryLimitBytes() throws IOException {
        long limit = Long.MAX_VALUE;
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                limit = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        for (String file : List.of("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
            Path path = Path.of(file);
            if (Files.isReadable(path)) {
                String value = Files.readString(path).trim();
                if (value.matches("[0-9]+")) {
                    limit = Math.min(limit, Long.parseLong(value));
                }
            }
        }
        return limit;
    }

    @Test
    void noHeapSizeGiven_getsTheFloor_whereMemoryAllows() throws Exception {
        String expected = memoryLimitBytes() >= 2L << 30 ? "-Xms512m -XX:+UseG1GC -jar <jar> --flag" : "-XX:+UseG1GC -jar <jar> --flag";
        assertEquals(expected, launch("-XX:+UseG1GC"));
    }

    @Test
    void anOperatorsHeapSize_replacesTheFloor() throws Exception {
        for (String opts : List.of("-Xmx256m", "-Xms1g", "-XX:MaxRAMPercentage=50", "-XX:InitialHeapSize=1g -Dx=y")) {
            assertEquals(opts + " -jar <jar> --flag", launch(opts), opts);
        }
    }
}

package dev.imagerouter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A private copy of the repository's {@code config/} and {@code providers/} in a temp directory,
 * so a test can edit the real configuration files (and point {@code router.config-dir} at it).
 */
public final class TestConfigDir {

    private final Path root;

    private TestConfigDir(Path root) {
        this.root = root;
    }

    /** Copies {@code config/application.yml} and {@code providers/*.yml} from the working directory. */
    public static TestConfigDir copyOfRepository() {
        Path root = RouterTestSupport.tempDir("config");
        try {
            Files.createDirectories(root.resolve("config"));
            Files.createDirectories(root.resolve("providers"));
            Files.copy(Path.of("config/application.yml"), root.resolve("config/application.yml"));
            try (Stream<Path> files = Files.list(Path.of("providers"))) {
                for (Path f : files.toList()) {
                    Files.copy(f, root.resolve("providers").resolve(f.getFileName()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TestConfigDir(root);
    }

    /** The directory to use as {@code router.config-dir}. */
    public Path configDir() {
        return root.resolve("config");
    }

    public Path providerFile(String name) {
        return root.resolve("providers").resolve(name + ".yml");
    }

    public Path applicationFile() {
        return configDir().resolve("application.yml");
    }

    /** Replaces text in a file; fails if the text is not there. */
    public TestConfigDir replace(Path file, String old, String replacement) {
        String text = read(file);
        if (!text.contains(old)) {
            throw new AssertionError(file + " does not contain: " + old);
        }
        return write(file, text.replace(old, replacement));
    }

    /** Appends YAML to a file. */
    public TestConfigDir append(Path file, String yaml) {
        return write(file, read(file) + "\n" + yaml + "\n");
    }

    public TestConfigDir write(Path file, String content) {
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".edit", ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

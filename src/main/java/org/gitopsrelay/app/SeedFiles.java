package org.gitopsrelay.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The files of {@code kustomize-base/}, which the build copies into the jar under {@code seed/kustomize-base/}:
 * read from the jar when packaged, from a folder when run from the build's output.
 */
public final class SeedFiles {

    private static final String ROOT = "seed/kustomize-base";

    private SeedFiles() {
    }

    /** Every file below {@code kustomize-base/<dir>}, by its path relative to that folder. */
    public static Map<String, String> read(String dir) {
        String marker = ROOT + "/base/kustomization.yaml";
        URL url = SeedFiles.class.getClassLoader().getResource(marker);
        if (url == null) {
            throw new IllegalStateException("The jar holds no " + marker + ": it was built without kustomize-base/");
        }
        try {
            URI uri = url.toURI();
            if ("jar".equals(uri.getScheme())) {
                return readFromJar(uri, dir);
            }
            Path base = Path.of(uri).getParent().getParent();
            return readTree(base.resolve(dir));
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("Cannot read the seed files from " + url, e);
        }
    }

    private static Map<String, String> readFromJar(URI uri, String dir) throws IOException {
        FileSystem jar;
        boolean ours;
        try {
            jar = FileSystems.newFileSystem(uri, Map.of());
            ours = true;
        } catch (FileSystemAlreadyExistsException e) {
            // Somebody else opened it and will close it.
            jar = FileSystems.getFileSystem(uri);
            ours = false;
        }
        try {
            return readTree(jar.getPath("/" + ROOT, dir));
        } finally {
            if (ours) {
                jar.close();
            }
        }
    }

    private static Map<String, String> readTree(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String relative = dir.relativize(file).toString().replace('\\', '/');
                files.put(relative, Files.readString(file, StandardCharsets.UTF_8));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return files;
    }
}

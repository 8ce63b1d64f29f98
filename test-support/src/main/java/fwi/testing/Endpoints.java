package fwi.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds the HTTP endpoints of an application by reflection over its compiled classes (JAX-RS
 * annotations, matched by name so this module needs no JAX-RS), for tests that must cover every
 * endpoint that changes something, including ones added later.
 */
public final class Endpoints {
  private static final Set<String> MUTATING = Set.of("jakarta.ws.rs.POST", "jakarta.ws.rs.PUT", "jakarta.ws.rs.DELETE",
      "jakarta.ws.rs.PATCH");

  private Endpoints() {
  }

  /**
   * One resource method that changes something.
   *
   * @param method {@code Class#method}
   * @param takesAuthorization whether a parameter is {@code @HeaderParam("Authorization")}
   */
  public record Mutating(String method, boolean takesAuthorization) {
  }

  /** Every POST, PUT, DELETE or PATCH resource method of the classes compiled beside {@code anyAppClass}. */
  public static List<Mutating> mutating(Class<?> anyAppClass) {
    List<Mutating> out = new ArrayList<>();
    for (Class<?> c : classesBeside(anyAppClass)) {
      Method[] methods;
      try {
        methods = c.getDeclaredMethods();
      } catch (LinkageError e) {
        continue; // a class whose optional dependencies are absent serves no endpoint here
      }
      for (Method m : methods) {
        if (Stream.of(m.getAnnotations()).anyMatch(a -> MUTATING.contains(a.annotationType().getName()))) {
          boolean auth = Stream.of(m.getParameterAnnotations()).flatMap(Stream::of).anyMatch(Endpoints::isAuthorization);
          out.add(new Mutating(c.getSimpleName() + "#" + m.getName(), auth));
        }
      }
    }
    return out;
  }

  private static boolean isAuthorization(Annotation a) {
    if (!a.annotationType().getName().equals("jakarta.ws.rs.HeaderParam")) {
      return false;
    }
    try {
      return "Authorization".equalsIgnoreCase((String) a.annotationType().getMethod("value").invoke(a));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read @HeaderParam's value", e);
    }
  }

  private static List<Class<?>> classesBeside(Class<?> anyAppClass) {
    Path root;
    try {
      root = Path.of(anyAppClass.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    List<Class<?>> classes = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String name = root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), ".");
        name = name.substring(0, name.length() - ".class".length());
        try {
          classes.add(Class.forName(name, false, anyAppClass.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
          // generated or optional classes that cannot be loaded serve no endpoint
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return classes;
  }
}

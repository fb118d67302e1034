package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxmedia.InMemoryMediaStore;
import org.mxmedia.InMemoryStorage;
import org.mxmedia.MediaException;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;

class GuardsTest {

  /** A decorator that forgot a default method would silently answer with the default instead of the host's store. */
  @Test
  void theGuardedStoreAndStorageOverrideEveryMethodIncludingTheDefaults() {
    for (var pair : List.of(List.of(MediaStore.class, Guards.store(new InMemoryMediaStore()).getClass()),
        List.of(PrimaryStorage.class, Guards.primary(new InMemoryStorage()).getClass()))) {
      Class<?> spi = pair.get(0);
      Class<?> guard = pair.get(1);
      for (Method m : spi.getMethods()) {
        if (Modifier.isStatic(m.getModifiers())) {
          continue;
        }
        assertThat(Arrays.stream(guard.getDeclaredMethods())
            .anyMatch(d -> d.getName().equals(m.getName()) && Arrays.equals(d.getParameterTypes(), m.getParameterTypes())))
            .as(spi.getSimpleName() + "." + m.getName() + " is overridden by " + guard.getSimpleName())
            .isTrue();
      }
    }
  }

  @Test
  void anUncheckedFailureOfTheHostsStoreBecomesA500ThatSaysNothingOfIt() {
    MediaStore broken = Guards.store((MediaStore) Proxy.newProxyInstance(MediaStore.class.getClassLoader(),
        new Class<?>[] {MediaStore.class}, (proxy, method, args) -> {
          throw new IllegalStateException("connection refused to db.internal:5432");
        }));
    assertThatThrownBy(() -> broken.blobReferences(null)).isInstanceOfSatisfying(MediaException.class, e -> {
      assertThat(e.httpStatus()).isEqualTo(500);
      assertThat(e.getMessage()).doesNotContain("db.internal");
    });
  }
}

// Whether the page is on screen: a background tab, a minimised window or a
// locked phone is not, and what it shows has not been read.
import { onBeforeUnmount, readonly, ref, type Ref } from 'vue'

export function usePageVisible(): Readonly<Ref<boolean>> {
  const visible = ref(document.visibilityState === 'visible')
  const update = () => {
    visible.value = document.visibilityState === 'visible'
  }
  document.addEventListener('visibilitychange', update)
  onBeforeUnmount(() => document.removeEventListener('visibilitychange', update))
  return readonly(visible)
}

/** One confirmation question at a time, answered through the Confirm dialog mounted in App. */

export interface Question {
  title: string
  message: string
  confirmLabel: string
  resolve: (answer: boolean) => void
}

export const confirmState = $state<{ question: Question | null }>({ question: null })

/** Ask before a destructive action; resolves true only when the admin confirms. */
export function ask(title: string, message: string, confirmLabel = 'Delete'): Promise<boolean> {
  confirmState.question?.resolve(false)
  return new Promise((resolve) => {
    confirmState.question = { title, message, confirmLabel, resolve }
  })
}

/** Answer the open question and close the dialog. */
export function answer(value: boolean): void {
  const question = confirmState.question
  confirmState.question = null
  question?.resolve(value)
}

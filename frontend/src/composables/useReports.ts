// Reports (issue 23): a reader reports a message they received; moderators
// see the open reports and resolve each one.
//
// The open reports are read past Apollo's cache (a list of this view's own,
// nothing to merge): once when the view opens, again on request and when the
// connection comes back. A resolved report leaves the list once the server
// has answered.
import { useApolloClient } from '@vue/apollo-composable'
import { onBeforeUnmount, ref, shallowRef } from 'vue'

import {
  OpenReportsDocument,
  ReportMessageDocument,
  ResolveReportDocument,
  type ModerationAction,
  type ReportFieldsFragment,
  type ReportReason,
} from '../generated/graphql'
import { useRealtime } from '../keys'
import { describeProblem } from '../lib/errors'
import { reportVariables } from '../lib/reports'

/** Open reports asked for at a time. */
export const REPORTS_PAGE = 50

/** reportMessage: resolves once the server took the report; rejects with its refusal. */
export function useReportMessage(): (id: string, reason: ReportReason, note: string) => Promise<void> {
  const { client } = useApolloClient()
  return async (id, reason, note) => {
    await client.mutate({
      mutation: ReportMessageDocument,
      variables: reportVariables(id, reason, note),
      fetchPolicy: 'no-cache',
    })
  }
}

export function useOpenReports() {
  const { client } = useApolloClient()
  const reports = shallowRef<readonly ReportFieldsFragment[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  // A full page may have more after it.
  const more = ref(false)
  const problem = ref<string | null>(null)

  async function page(after: string | null): Promise<readonly ReportFieldsFragment[] | null> {
    loading.value = true
    problem.value = null
    try {
      const { data } = await client.query({
        query: OpenReportsDocument,
        variables: { first: REPORTS_PAGE, after },
        fetchPolicy: 'no-cache',
      })
      more.value = data.reports.length >= REPORTS_PAGE
      return data.reports
    } catch (error) {
      problem.value = describeProblem(error).text
      return null
    } finally {
      loading.value = false
    }
  }

  /** The first page again. */
  async function refresh() {
    const first = await page(null)
    if (first) {
      reports.value = first
      loaded.value = true
    }
  }

  async function loadMore() {
    const last = reports.value.at(-1)
    const next = last ? await page(last.id) : null
    if (next) reports.value = [...reports.value, ...next.filter((report) => !has(report.id))]
  }

  const has = (id: string) => reports.value.some((report) => report.id === id)

  /** Resolve a report; it leaves the list once the server answers. Rejects with its refusal. */
  async function resolve(id: string, action: ModerationAction): Promise<void> {
    await client.mutate({ mutation: ResolveReportDocument, variables: { id, action }, fetchPolicy: 'no-cache' })
    reports.value = reports.value.filter((report) => report.id !== id)
  }

  void refresh()
  onBeforeUnmount(useRealtime().onReconnected(() => void refresh()))

  return { reports, loading, loaded, more, problem, refresh, loadMore, resolve }
}

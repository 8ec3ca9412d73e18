/* global window */
/**
 * OHIF Viewer v3 for the compose demo (compose.yaml): one DICOMweb data source, Strata at its
 * published URL, and sign-in with Keycloak (realm "strata", public client "ohif-viewer",
 * authorization code with PKCE). OHIF sends the access token to Strata as `Authorization:
 * Bearer`; Strata checks its issuer, audience ("strata") and realm roles.
 */
window.config = {
  routerBasename: '/',
  extensions: [],
  modes: [],
  customizationService: {},
  showStudyList: true,
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: true,
  showLoadingIndicator: true,
  investigationalUseDialog: { option: 'never' },
  oidc: [
    {
      authority: 'http://keycloak:8081/realms/strata',
      client_id: 'ohif-viewer',
      redirect_uri: '/callback',
      response_type: 'code',
      scope: 'openid profile',
      post_logout_redirect_uri: '/',
    },
  ],
  defaultDataSourceName: 'strata',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'strata',
      configuration: {
        friendlyName: 'Strata',
        name: 'strata',
        wadoUriRoot: 'http://localhost:8080/dicom-web',
        qidoRoot: 'http://localhost:8080/dicom-web',
        wadoRoot: 'http://localhost:8080/dicom-web',
        qidoSupportsIncludeField: true,
        supportsFuzzyMatching: true,
        supportsWildcard: true,
        imageRendering: 'wadors',
        thumbnailRendering: 'wadors',
        enableStudyLazyLoad: true,
        omitQuotationForMultipartRequest: true,
        bulkDataURI: { enabled: true },
      },
    },
  ],
};

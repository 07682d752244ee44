<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- The node that answered and the URI it was asked for; 404 for paths containing "missing". --%>
<%
    String uri = request.getRequestURI();
    if (uri.contains("missing")) {
        response.sendError(404);
        return;
    }
    out.print("whoami node=" + System.getProperty("jvm.route") + "\n");
    out.print("uri=" + uri + "\n");
%>

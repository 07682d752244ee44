<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- ?n=K response headers X-H-1..X-H-K (value v1..vK) plus one Set-Cookie: for testing how
     response headers are mapped and counted. --%>
<%
    String s = request.getParameter("n");
    int n = (s == null) ? 10 : Integer.parseInt(s);
    for (int i = 1; i <= n; i++) response.addHeader("X-H-" + i, "v" + i);
    response.addCookie(new jakarta.servlet.http.Cookie("hcookie", "hv"));
    out.print("headers=" + n + "\n");
%>
